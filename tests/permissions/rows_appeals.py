"""Permission matrix rows of 复核申诉: the pages (list, record, detail, decide, a document) and
``appeals/`` of the API.

Pages look the result or the appeal up first (outside the subtree or missing: 404), then the
role: recording needs ``manage_assessment``, deciding a head's ``approve`` (403); the matrix's
empty form is shown again with its errors (200). The API checks the role before the appeal
(``role_first``); an empty body is refused (400). ``build`` adds a 2021 annual period with a
称职 result, a pending appeal and its PNG document per unit, recorded while the period was
published (today), then puts the period back to 草稿: the main table's rows expect no published
annual period (the 三挂钩 export redirects without one), and a permission check does not depend
on the period's state (the record page then says why it takes no appeal, 200)."""

from django.utils import timezone

from assessment.models import Appeal, AppealAttachment, Assessment, Period, PeriodStatus
from assessment.services.appeals import appeal_file
from tests.factories import make_period
from tests.permissions.test_permission_matrix import APPROVE, GET, MANAGE, READ, Row, W, obj, url
from tests.scope.conftest import png_upload

YEAR = 2021

ROWS = {
    "assessment:appeals": Row(url("assessment:appeals"), GET, scoped=False),
    "assessment:appeal_create": Row(
        url("assessment:appeal_create", obj("appeal_assessments")), {"GET": W(MANAGE), "POST": W(MANAGE)}
    ),
    "assessment:appeal_detail": Row(url("assessment:appeal_detail", obj("appeals")), GET),
    "assessment:appeal_decide": Row(url("assessment:appeal_decide", obj("appeals")), {"POST": W(APPROVE)}),
    "assessment:appeal_attachment": Row(url("assessment:appeal_attachment", obj("appeal_attachments")), GET),
    "appeal-list": Row(url("appeal-list"), {"GET": READ, "POST": W(MANAGE, 400)}, scoped=False),
    "appeal-detail": Row(
        url("appeal-detail", obj("appeals")), {"GET": READ, "PATCH": W(APPROVE, 400, role_first=True)}
    ),
}

COUNTED = [Appeal, AppealAttachment]


def build(world) -> None:
    period = make_period(year=YEAR, status=PeriodStatus.PUBLISHED)
    Period.objects.filter(pk=period.pk).update(published_at=timezone.now())
    period.refresh_from_db()
    actor = world.users["city_staff"]
    world.appeal_assessments, world.appeals, world.appeal_attachments = {}, {}, {}
    for key, cadre in world.cadres.items():
        assessment = Assessment.objects.create(
            period=period, cadre=cadre, unit=world.units[key], final_grade="称职", grade_code=2
        )
        world.appeal_assessments[key] = assessment
        appeal = appeal_file(
            actor=actor,
            assessment=assessment,
            appellant=cadre.name,
            filed_on=timezone.localdate(),
            grounds="对等次有异议",
            files=[png_upload("证明.png")],
        )
        world.appeals[key] = appeal
        world.appeal_attachments[key] = appeal.attachments.get()
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.DRAFT, published_at=None)
