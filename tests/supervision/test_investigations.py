"""Investigations (立案审查): opened, corrected while open and closed through the services with
validation, scope and audit; the list, form and close pages, the profile and its timeline; the
``investigations/`` API. Each change regrades the open annual period (the rule at its edges:
tests/assessment/test_ungraded_rules.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, Grade
from assessment.services.recompute import period_recompute
from audit.models import AuditEntry
from supervision.models import Investigation
from supervision.services.investigations import investigation_close, investigation_open, investigation_update
from tests.factories import CadreFactory, make_period
from tests.scope.conftest import token_client
from tests.supervision.conftest import TODAY  # the fixed day every supervision test runs on

D = datetime.date
DAY = D(2026, 3, 2)
READ_ONLY = [Role.AUDITOR, Role.API_READER, Role.COUNTY_ADMIN]
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


def open_case(actor, cadre, **changes):
    args = {"opened_on": DAY, "authority": "县纪委监委", "reason": "涉嫌违反廉洁纪律", **changes}
    return investigation_open(actor=actor, cadre=cadre, **args)


def errors_of(exc) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


# ---------------------------------------------------------------- services


def test_an_investigation_is_opened_and_audited(staff, cadre_a):
    case = open_case(staff, cadre_a, authority=" 县纪委监委 ")
    assert case.is_open and case.authority == "县纪委监委" and case.outcome == ""
    entry = AuditEntry.objects.get(action="create", model="supervision.investigation")
    assert entry.cadre_id == cadre_a.pk and entry.scope_path == cadre_a.unit.path


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"opened_on": None}, "opened_on", "请填写立案日期。"),
        ({"opened_on": TODAY + datetime.timedelta(days=1)}, "opened_on", "立案日期不能晚于今天。"),
        ({"opened_on": D(1999, 12, 31)}, "opened_on", "立案日期不能早于2000年。"),
        ({"authority": " "}, "authority", "请填写立案机关。"),
        ({"authority": "委" * 101}, "authority", "立案机关不能超过100个字。"),
        ({"reason": ""}, "reason", "请填写立案事由。"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(staff, cadre_a, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        open_case(staff, cadre_a, **changes)
    assert errors_of(exc)[field] == message
    assert not Investigation.objects.exists()


def test_today_and_the_first_day_of_2000_are_accepted(staff, cadre_a):
    assert open_case(staff, cadre_a, opened_on=TODAY).opened_on == TODAY
    assert open_case(staff, cadre_a, opened_on=D(2000, 1, 1)).opened_on == D(2000, 1, 1)


def test_closing_records_the_outcome_once(staff, cadre_a):
    case = open_case(staff, cadre_a)
    closed = investigation_close(actor=staff, investigation=case, closed_on=DAY, outcome="cleared")
    assert (closed.closed_on, closed.get_outcome_display(), closed.is_open) == (DAY, "未予处分", False)
    assert AuditEntry.objects.get(action="update", model="supervision.investigation").reason == "结案"
    with pytest.raises(ValidationError) as exc:
        investigation_close(actor=staff, investigation=case, closed_on=TODAY, outcome="sanctioned")
    assert "已于2026-03-02结案（未予处分），不能重复结案" in errors_of(exc)["closed_on"]
    case.refresh_from_db()
    assert (case.closed_on, case.outcome) == (DAY, "cleared")


@pytest.mark.parametrize(
    ("closed_on", "outcome", "field", "message"),
    [
        (None, "cleared", "closed_on", "请填写结案日期。"),
        (
            DAY - datetime.timedelta(days=1),
            "cleared",
            "closed_on",
            "结案日期不能早于立案日期（2026-03-02）。",
        ),
        (TODAY + datetime.timedelta(days=1), "cleared", "closed_on", "结案日期不能晚于今天。"),
        (TODAY, "", "outcome", "请选择结案结果：给予处分或未予处分。"),
        (TODAY, "warning", "outcome", "请选择结案结果：给予处分或未予处分。"),
    ],
)
def test_a_bad_closing_is_refused_and_the_investigation_stays_open(
    staff, cadre_a, closed_on, outcome, field, message
):
    case = open_case(staff, cadre_a)
    with pytest.raises(ValidationError) as exc:
        investigation_close(actor=staff, investigation=case, closed_on=closed_on, outcome=outcome)
    assert errors_of(exc)[field] == message
    case.refresh_from_db()
    assert case.is_open


def test_an_open_investigation_can_be_corrected_a_closed_one_cannot(staff, cadre_a):
    case = open_case(staff, cadre_a)
    investigation_update(
        actor=staff, investigation=case, opened_on=D(2026, 3, 1), authority="市纪委监委", reason="x"
    )
    case.refresh_from_db()
    assert (case.opened_on, case.authority) == (D(2026, 3, 1), "市纪委监委")
    investigation_close(actor=staff, investigation=case, closed_on=TODAY, outcome="sanctioned")
    with pytest.raises(ValidationError) as exc:
        investigation_update(
            actor=staff, investigation=case, opened_on=DAY, authority="市纪委监委", reason="x"
        )
    assert "不能再修改" in errors_of(exc)["opened_on"]


def test_a_cadre_outside_the_scope_is_refused(staff, cadre_b):
    with pytest.raises(ValidationError) as exc:
        open_case(staff, cadre_b)
    assert errors_of(exc)["cadre"] == "该干部不在您的管辖范围内。"
    assert not Investigation.objects.exists()


def test_an_investigation_outside_the_scope_cannot_be_closed(users, cadre_b):
    case = open_case(users["city_staff"], cadre_b)
    with pytest.raises(PermissionDenied):
        investigation_close(actor=users[Role.STAFF], investigation=case, closed_on=TODAY, outcome="cleared")
    case.refresh_from_db()
    assert case.is_open


@pytest.mark.parametrize("role", READ_ONLY)
def test_roles_without_edit_registry_may_not_open_or_close(users, staff, cadre_a, role):
    case = open_case(staff, cadre_a)
    with pytest.raises(PermissionDenied):
        open_case(users[role], cadre_a)
    with pytest.raises(PermissionDenied):
        investigation_close(actor=users[role], investigation=case, closed_on=TODAY, outcome="cleared")
    assert Investigation.objects.get().is_open


# ---------------------------------------------------------------- the grade follows


def test_opening_and_closing_regrade_the_open_annual_period(
    staff, cadre_a, django_capture_on_commit_callbacks
):
    period = make_period(year=2026, status="grading")
    row = Assessment.objects.create(
        period=period, cadre=cadre_a, unit=cadre_a.unit, scores=dict.fromkeys(CODES, 85)
    )
    period_recompute(period_id=period.pk)
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(staff, cadre_a)
    row.refresh_from_db()
    assert (row.final_grade, row.grade_code) == (Grade.UNDETERMINED, 5)
    assert any("2026-03-02 被县纪委监委立案审查，尚未结案" in e.get("facts", "") for e in row.explanation)
    with django_capture_on_commit_callbacks(execute=True):
        investigation_close(actor=staff, investigation=case, closed_on=TODAY, outcome="cleared")
    row.refresh_from_db()
    assert row.final_grade == Grade.COMPETENT


# ---------------------------------------------------------------- pages


def test_the_list_filters_by_state_unit_and_name_and_shows_only_the_scope(client, users, staff, tree):
    a1 = CadreFactory(unit=tree["town_a"], name="赵一")
    a2 = CadreFactory(unit=tree["county_a"], name="钱二")
    b1 = CadreFactory(unit=tree["town_b"], name="孙三")
    open_case(staff, a1)
    closed = open_case(staff, a2)
    investigation_close(actor=staff, investigation=closed, closed_on=TODAY, outcome="cleared")
    open_case(users["city_staff"], b1)
    client.force_login(staff)
    url = reverse("supervision:investigation_list")

    def names(query=""):
        page = client.get(url + query).content.decode()
        return [n for n in ("赵一", "钱二", "孙三") if n in page]

    assert names() == ["赵一", "钱二"]
    assert names("?state=open") == ["赵一"]
    assert names("?state=closed") == ["钱二"]
    assert names(f"?unit={tree['town_a'].pk}") == ["赵一"]
    assert names("?name=钱") == ["钱二"]
    page = client.get(url).content.decode()
    assert "审查中" in page and "未予处分" in page
    assert reverse("supervision:investigation_close", args=[closed.pk]) not in page  # closed: no button


def test_the_list_costs_the_same_queries_for_1_or_20_rows(client, staff, tree, django_assert_num_queries):
    client.force_login(staff)
    url = reverse("supervision:investigation_list")
    counts = []
    for n in (1, 19):
        for _ in range(n):
            open_case(staff, CadreFactory(unit=tree["town_a"]))
        # session, user, the user's unit (scope), the filter's units, the count, the page's rows
        with django_assert_num_queries(6):
            response = client.get(url)
        counts.append(response.context["page"].paginator.count)
    assert counts == [1, 20]


def test_the_form_opens_an_investigation_for_the_preset_cadre(client, staff, cadre_a):
    client.force_login(staff)
    url = reverse("supervision:investigation_create") + f"?cadre={cadre_a.pk}"
    assert "登记立案审查" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "cadre": cadre_a.pk,
            "opened_on": "2026-05-06",
            "authority": "县纪委监委",
            "reason": "违规发放津补贴",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#investigations")
    assert Investigation.objects.get().opened_on == D(2026, 5, 6)
    profile = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert "立案审查" in profile and "违规发放津补贴" in profile and "尚未结案" in profile


def test_a_refused_form_keeps_the_input_and_says_why(client, staff, cadre_a):
    client.force_login(staff)
    url = reverse("supervision:investigation_create") + f"?cadre={cadre_a.pk}"
    response = client.post(
        url, {"cadre": cadre_a.pk, "opened_on": "2026-06-16", "authority": "县纪委", "reason": "事由"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "立案日期不能晚于今天。" in page and 'value="县纪委"' in page
    assert not Investigation.objects.exists()


def test_closing_without_sanction_returns_to_the_profile(client, staff, cadre_a):
    case = open_case(staff, cadre_a)
    client.force_login(staff)
    url = reverse("supervision:investigation_close", args=[case.pk])
    assert "结案结果" in client.get(url).content.decode()
    bad = client.post(url, {"closed_on": "2026-03-01", "outcome": "cleared"})
    assert "结案日期不能早于立案日期（2026-03-02）。" in bad.content.decode()
    response = client.post(url, {"closed_on": "2026-06-01", "outcome": "cleared"})
    assert response.status_code == 302 and response["Location"].endswith("#investigations")
    page = client.get(url).content.decode()
    assert "不能重复结案" in page and 'name="outcome"' not in page


def test_closing_with_a_sanction_leads_to_recording_it(client, staff, cadre_a):
    case = open_case(staff, cadre_a)
    client.force_login(staff)
    response = client.post(
        reverse("supervision:investigation_close", args=[case.pk]),
        {"closed_on": "2026-06-01", "outcome": "sanctioned"},
    )
    assert response["Location"] == reverse("supervision:sanction_create") + f"?cadre={cadre_a.pk}"


def test_the_edit_form_corrects_an_open_investigation(client, staff, cadre_a):
    case = open_case(staff, cadre_a)
    client.force_login(staff)
    url = reverse("supervision:investigation_edit", args=[case.pk])
    assert 'value="县纪委监委"' in client.get(url).content.decode()
    response = client.post(url, {"opened_on": "2026-03-03", "authority": "市纪委监委", "reason": "更正"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.opened_on, case.authority, case.reason) == (D(2026, 3, 3), "市纪委监委", "更正")


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_read_but_get_403_on_the_forms(client, users, staff, cadre_a, role):
    case = open_case(staff, cadre_a)
    client.force_login(users[role])
    page = client.get(reverse("supervision:investigation_list")).content.decode()
    assert "涉嫌违反廉洁纪律" in page and "登记立案审查" not in page
    assert client.get(reverse("supervision:investigation_create")).status_code == 403
    response = client.post(
        reverse("supervision:investigation_close", args=[case.pk]),
        {"closed_on": "2026-06-01", "outcome": "cleared"},
    )
    assert response.status_code == 403
    assert Investigation.objects.get().is_open


def test_the_profile_timeline_shows_the_investigation(client, staff, cadre_a):
    case = open_case(staff, cadre_a)
    investigation_close(actor=staff, investigation=case, closed_on=D(2026, 5, 20), outcome="cleared")
    client.force_login(staff)
    response = client.get(reverse("cadres:detail", args=[cadre_a.pk]))
    events = [e for e in response.context["events"] if e.kind == "立案审查"]
    assert [(e.on, e.title, e.detail) for e in events] == [(DAY, "县纪委监委", "2026-05-20 结案，未予处分")]


def test_a_reader_sees_no_section_for_a_cadre_never_investigated(client, users, cadre_a):
    client.force_login(users[Role.AUDITOR])
    assert (
        'id="investigations"' not in client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    )
    client.force_login(users[Role.STAFF])
    assert 'id="investigations"' in client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()


# ---------------------------------------------------------------- API


def test_the_api_opens_lists_and_closes(users, staff, cadre_a, tree):
    client = token_client(staff)
    created = client.post(
        "/api/v1/investigations/",
        {"cadre": cadre_a.pk, "opened_on": "2026-03-02", "authority": "县纪委监委", "reason": "违纪"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["is_open"] is True and created.json()["outcome"] == ""
    other = open_case(staff, CadreFactory(unit=tree["town_a"]))
    investigation_close(actor=staff, investigation=other, closed_on=TODAY, outcome="sanctioned")
    assert client.get("/api/v1/investigations/").json()["count"] == 2
    assert [r["id"] for r in client.get("/api/v1/investigations/?open=true").json()["results"]] == [pk]
    assert [r["id"] for r in client.get("/api/v1/investigations/?open=false").json()["results"]] == [other.pk]
    assert client.get(f"/api/v1/investigations/?cadre={cadre_a.pk}").json()["count"] == 1
    assert client.get("/api/v1/investigations/?open=maybe").status_code == 400

    url = f"/api/v1/investigations/{pk}/"
    early = client.patch(
        url, {"action": "close", "closed_on": "2026-03-01", "outcome": "未予处分"}, format="json"
    )
    assert early.json()["error"]["fields"]["closed_on"] == ["结案日期不能早于立案日期（2026-03-02）。"]
    closed = client.patch(
        url, {"action": "close", "closed_on": "2026-06-01", "outcome": "未予处分"}, format="json"
    )
    assert closed.status_code == 200
    assert (closed.json()["is_open"], closed.json()["closed_on"], closed.json()["outcome"]) == (
        False,
        "2026-06-01",
        "未予处分",
    )
    again = client.patch(
        url, {"action": "close", "closed_on": "2026-06-02", "outcome": "给予处分"}, format="json"
    )
    assert again.status_code == 400 and "不能重复结案" in again.json()["error"]["fields"]["closed_on"][0]


def test_the_api_corrects_an_open_investigation_and_wants_the_action_to_close(staff, cadre_a):
    case = open_case(staff, cadre_a)
    client = token_client(staff)
    url = f"/api/v1/investigations/{case.pk}/"
    assert client.patch(url, {"authority": "市纪委监委"}, format="json").json()["authority"] == "市纪委监委"
    stray = client.patch(url, {"closed_on": "2026-06-01", "outcome": "cleared"}, format="json")
    assert stray.status_code == 400 and "action" in stray.json()["error"]["fields"]["closed_on"][0]
    assert Investigation.objects.get().is_open


def test_the_api_hides_investigations_outside_the_scope_and_refuses_readers(users, cadre_a, cadre_b):
    theirs = open_case(users["city_staff"], cadre_b)
    ours = open_case(users["city_staff"], cadre_a)
    staff = token_client(users[Role.STAFF])
    assert staff.get(f"/api/v1/investigations/{theirs.pk}/").status_code == 404
    body = {"action": "close", "closed_on": "2026-06-01", "outcome": "cleared"}
    assert staff.patch(f"/api/v1/investigations/{theirs.pk}/", body, format="json").status_code == 404
    outside = staff.post(
        "/api/v1/investigations/",
        {"cadre": cadre_b.pk, "opened_on": "2026-03-02", "authority": "县纪委", "reason": "x"},
        format="json",
    )
    assert outside.status_code == 400 and "cadre" in outside.json()["error"]["fields"]
    reader = token_client(users[Role.AUDITOR])
    assert reader.get(f"/api/v1/investigations/{ours.pk}/").status_code == 200
    assert reader.patch(f"/api/v1/investigations/{ours.pk}/", body, format="json").status_code == 403
    assert Investigation.objects.filter(closed_on__isnull=True).count() == 2


def test_the_api_list_costs_the_same_queries_for_1_or_20_rows(users, staff, tree, django_assert_num_queries):
    client = token_client(users[Role.AUDITOR])
    for n in (1, 19):
        for _ in range(n):
            open_case(staff, CadreFactory(unit=tree["town_a"]))
        # the token with its user and their unit (scope, one query), the count, the page (cadres joined)
        with django_assert_num_queries(3):
            response = client.get("/api/v1/investigations/?open=true")
    assert response.json()["count"] == 20
