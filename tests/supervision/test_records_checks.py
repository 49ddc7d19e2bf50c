"""个人有关事项报告抽查: a report found not truthful is handled by a 提醒 or a 诫勉 recorded as a
linked talk; one check per cadre and year; the yearly summary line mirrors the 汉中 figures."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.roles import Role
from audit.models import AuditEntry
from supervision.models import (
    CheckHandling,
    CheckOutcome,
    Interview,
    InterviewKind,
    InterviewStatus,
    PersonalMattersCheck,
    SubjectType,
)
from supervision.services.records import matters_check_create
from tests.factories import CadreFactory
from tests.supervision.conftest import TODAY  # the fixed day every supervision test runs on

EDITORS = {Role.STAFF, Role.HEAD}
READ_ONLY = [r for r in Role.values if r not in EDITORS]
YEAR = TODAY.year - 1


def visible_text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def login(client, users, role):
    client.force_login(users[role])
    return client


def check(actor, cadre, *, outcome=CheckOutcome.TRUTHFUL, handling="", year=YEAR, note=""):
    return matters_check_create(
        actor=actor, cadre=cadre, year=year, checked_on=TODAY, outcome=outcome, handling=handling, note=note
    )


def form_data(cadre, **overrides):
    data = {
        "cadre": cadre.pk,
        "year": YEAR,
        "checked_on": TODAY.isoformat(),
        "outcome": "truthful",
        "handling": "",
        "note": "",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- handling and the linked talk


def test_a_report_not_truthful_handled_by_a_reminder_records_a_linked_reminder_talk(users, cadre_a):
    staff = users[Role.STAFF]
    result = check(staff, cadre_a, outcome=CheckOutcome.UNTRUTHFUL, handling=CheckHandling.REMINDER)
    talk = result.interview
    assert talk is not None
    assert (talk.kind, talk.subject_type, talk.cadre, talk.unit, talk.status, talk.proposed_by) == (
        InterviewKind.REMINDER,
        SubjectType.CADRE,
        cadre_a,
        cadre_a.unit,
        InterviewStatus.RECORDED,
        staff,
    )
    assert talk.conducted_on is None
    assert talk.reason_detail == f"个人有关事项报告抽查未如实报告（{YEAR}年度）"


def test_an_admonishment_records_a_linked_admonishment(users, cadre_a):
    result = check(
        users[Role.HEAD], cadre_a, outcome=CheckOutcome.UNTRUTHFUL, handling=CheckHandling.ADMONISH
    )
    assert result.interview.kind == InterviewKind.ADMONISH
    assert Interview.objects.get() == result.interview


def test_the_check_and_its_talk_are_both_in_the_audit_trail_under_the_cadre(users, cadre_a):
    result = check(
        users[Role.STAFF], cadre_a, outcome=CheckOutcome.UNTRUTHFUL, handling=CheckHandling.REMINDER
    )
    entries = AuditEntry.objects.filter(cadre_id=cadre_a.pk, action="create")
    assert {(e.model, e.object_id) for e in entries} == {
        ("supervision.personalmatterscheck", str(result.pk)),
        ("supervision.interview", str(result.interview_id)),
    }
    assert {e.scope_path for e in entries} == {cadre_a.unit.path}


def test_a_truthful_report_records_no_talk(users, cadre_a):
    result = check(users[Role.STAFF], cadre_a)
    assert result.interview is None
    assert not Interview.objects.exists()


def test_a_report_not_truthful_needs_a_handling(users, cadre_a):
    with pytest.raises(ValidationError) as exc:
        check(users[Role.STAFF], cadre_a, outcome=CheckOutcome.UNTRUTHFUL)
    assert exc.value.message_dict["handling"] == ["未如实报告的，须选择处理方式：提醒或诫勉。"]
    assert not Interview.objects.exists()
    assert not PersonalMattersCheck.objects.exists()


def test_a_truthful_report_takes_no_handling(users, cadre_a):
    with pytest.raises(ValidationError) as exc:
        check(users[Role.STAFF], cadre_a, handling=CheckHandling.REMINDER)
    assert exc.value.message_dict["handling"] == ["如实报告的无需处理，请将处理方式留空。"]


def test_a_second_check_of_the_same_cadre_and_year_is_refused_politely(client, users, cadre_a):
    check(users[Role.STAFF], cadre_a)
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:check_create") + f"?cadre={cadre_a.pk}",
        form_data(cadre_a, outcome="untruthful", handling="reminder"),
    )
    assert response.status_code == 200
    assert (
        f"张三的{YEAR}年度个人有关事项报告已登记过抽查结果，每人每年度只登记一次。"
        in response.content.decode()
    )
    assert PersonalMattersCheck.objects.count() == 1
    assert not Interview.objects.exists()


def test_the_same_cadre_may_be_checked_again_in_another_year(users, cadre_a):
    check(users[Role.STAFF], cadre_a, year=YEAR - 1)
    check(users[Role.STAFF], cadre_a, year=YEAR)
    assert PersonalMattersCheck.objects.count() == 2


def test_a_report_year_in_the_future_is_refused(users, cadre_a):
    with pytest.raises(ValidationError) as exc:
        check(users[Role.STAFF], cadre_a, year=TODAY.year + 1)
    assert "报告年度应在2000至" in exc.value.message_dict["year"][0]


def test_a_check_dated_before_the_report_year_is_refused(users, cadre_a):
    with pytest.raises(ValidationError) as exc:
        matters_check_create(
            actor=users[Role.STAFF],
            cadre=cadre_a,
            year=YEAR,
            checked_on=datetime.date(YEAR - 1, 12, 31),
            outcome=CheckOutcome.TRUTHFUL,
        )
    assert exc.value.message_dict["checked_on"] == [f"抽查日期应在{YEAR}年度报告之后。"]


# ---------------------------------------------------------------- the pages


def test_staff_records_a_check_through_the_form_and_sees_it_listed(client, users, cadre_a):
    login(client, users, Role.STAFF)
    response = client.post(
        reverse("supervision:check_create"),
        {**form_data(cadre_a, outcome="untruthful", handling="admonish"), "cadre": "", "cadre_query": "张三"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert f"已登记“张三”{YEAR}年度个人有关事项报告抽查结果：未如实报告，并登记诫勉谈话记录。" in page
    assert "诫勉已登记" in page
    assert PersonalMattersCheck.objects.get().interview.kind == InterviewKind.ADMONISH


def test_the_form_explains_a_missing_handling(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:check_create"), form_data(cadre_a, outcome="untruthful")
    )
    assert "未如实报告的，须选择处理方式：提醒或诫勉。" in response.content.decode()
    assert not PersonalMattersCheck.objects.exists()


def test_the_yearly_summary_line_counts_checked_untruthful_reminded_and_admonished(client, users, tree):
    staff = users[Role.STAFF]
    for _ in range(5):
        check(staff, CadreFactory(unit=tree["town_a"]))
    for _ in range(2):
        check(
            staff,
            CadreFactory(unit=tree["town_a"]),
            outcome=CheckOutcome.UNTRUTHFUL,
            handling=CheckHandling.REMINDER,
        )
    check(
        staff,
        CadreFactory(unit=tree["town_a"]),
        outcome=CheckOutcome.UNTRUTHFUL,
        handling=CheckHandling.ADMONISH,
    )
    check(staff, CadreFactory(unit=tree["town_a"]), year=YEAR - 1)
    text = visible_text(login(client, users, Role.AUDITOR).get(reverse("supervision:check_list")))
    assert "抽查 8 人，未如实报告 3 人，其中提醒 2 人、诫勉 1 人" in text
    assert "抽查 1 人，未如实报告 0 人，其中提醒 0 人、诫勉 0 人" in text


def test_the_summary_leaves_out_another_county(client, users, cadre_a, cadre_b):
    check(users[Role.STAFF], cadre_a)
    check(users["city_staff"], cadre_b, outcome=CheckOutcome.UNTRUTHFUL, handling=CheckHandling.REMINDER)
    text = visible_text(login(client, users, Role.STAFF).get(reverse("supervision:check_list")))
    assert "李四" not in text
    assert "张三" in text
    assert "抽查 1 人，未如实报告 0 人，其中提醒 0 人、诫勉 0 人" in text


@pytest.mark.parametrize("role", Role.values)
def test_every_role_sees_checks_of_its_county_only(client, users, cadre_a, cadre_b, role):
    check(users[Role.STAFF], cadre_a)
    check(users["city_staff"], cadre_b)
    html = login(client, users, role).get(reverse("supervision:check_list")).content.decode()
    assert "张三" in html
    assert "李四" not in html


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_record_a_check(client, users, cadre_a, role):
    login(client, users, role)
    assert client.get(reverse("supervision:check_create")).status_code == 403
    assert client.post(reverse("supervision:check_create"), form_data(cadre_a)).status_code == 403
    assert not PersonalMattersCheck.objects.exists()
    assert (
        reverse("supervision:check_create")
        not in client.get(reverse("supervision:check_list")).content.decode()
    )


def test_a_check_cannot_be_recorded_for_a_cadre_in_another_county(client, users, cadre_b):
    login(client, users, Role.STAFF)
    assert client.get(reverse("supervision:check_create") + f"?cadre={cadre_b.pk}").status_code == 404
    response = client.post(reverse("supervision:check_create"), form_data(cadre_b))
    assert response.status_code == 404
    assert not PersonalMattersCheck.objects.exists()


def test_the_list_filters_by_year_and_outcome(client, users, tree, cadre_a):
    check(users[Role.STAFF], cadre_a, year=YEAR - 1)
    check(
        users[Role.STAFF],
        CadreFactory(unit=tree["town_a"], name="王五"),
        outcome="untruthful",
        handling="reminder",
    )
    login(client, users, Role.STAFF)
    url = reverse("supervision:check_list")
    by_year = client.get(url, {"year": YEAR - 1}).content.decode()
    assert "张三" in by_year and "王五" not in by_year
    by_outcome = client.get(url, {"outcome": "untruthful"}).content.decode()
    assert "王五" in by_outcome and "张三" not in by_outcome


@pytest.mark.parametrize("rows", [3, 30])
def test_the_check_list_takes_a_constant_number_of_queries(
    client, users, tree, rows, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for n in range(rows):
        outcome, handling = ("untruthful", "reminder") if n % 2 else ("truthful", "")
        check(staff, CadreFactory(unit=tree["town_a"]), outcome=outcome, handling=handling)
    login(client, users, Role.STAFF)
    # session, user (+ unit for the scope), unit options of the filter, count of checks,
    # the page of checks with cadre, unit and talk, the yearly summary
    with django_assert_num_queries(7):
        response = client.get(reverse("supervision:check_list"))
    assert response.content.decode().count("提醒谈话已登记") == rows // 2
