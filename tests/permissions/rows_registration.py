"""Permission matrix rows of the 公务员年度考核登记表 and the printable results list: the texts
page, one form as PDF and as Word, a unit's batch of forms and its results list as PDF.

Every reader in scope may download (the form shows 出生年月, never the ID number); the texts
page needs ``manage_assessment`` after the result is looked up (outside or missing: 404). The
matrix's empty POST saves nothing (no texts yet: nothing to record) and returns to the result
(302). The world's 2025 annual period is 采集评分, so the texts may be entered."""

from assessment.models import RegistrationText
from tests.permissions.test_permission_matrix import GET, MANAGE, Row, W, obj, period, url

ROWS = {
    "assessment:registration_edit": Row(
        url("assessment:registration_edit", obj("assessments")), {"GET": W(MANAGE), "POST": W(MANAGE, 302)}
    ),
    "assessment:registration_pdf": Row(url("assessment:registration_pdf", obj("assessments")), GET),
    "assessment:registration_docx": Row(url("assessment:registration_docx", obj("assessments")), GET),
    "assessment:unit_registrations_pdf": Row(
        url("assessment:unit_registrations_pdf", period, obj("units")), GET
    ),
    "assessment:results_pdf": Row(url("assessment:results_pdf", period, obj("units")), GET),
}

COUNTED = [RegistrationText]
