"""Leave records (请假记录) and the probation end date (试用期满日期): recorded through the services
with validation, scope and audit; the profile, the pages and the ``leave-records/`` API; every
change regrades the open annual period (the rules themselves: tests/assessment/test_ungraded_rules.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, Grade
from audit.models import AuditEntry
from cadres.models import LeaveRecord
from cadres.services import cadre_update
from cadres.services_leaves import leave_create, leave_delete, leave_update
from tests.factories import CadreFactory, make_period
from tests.scope.conftest import token_client

D = datetime.date
TODAY = D(2026, 6, 15)
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
READ_ONLY = [Role.AUDITOR, Role.API_READER, Role.COUNTY_ADMIN]


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set(TODAY)


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


START, END = D(2026, 1, 5), D(2026, 1, 9)  # 5 days unless a test says otherwise


def record(staff, cadre, kind="sick", start=START, end=END, note=""):
    return leave_create(actor=staff, cadre=cadre, kind=kind, start_date=start, end_date=end, note=note)


def errors_of(exc) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


# ---------------------------------------------------------------- services


def test_a_leave_is_recorded_with_the_cadre_on_its_audit_entry(staff, cadre_a):
    leave = record(staff, cadre_a, note=" 住院 ")
    assert (leave.kind, leave.start_date, leave.end_date, leave.note) == (
        "sick",
        D(2026, 1, 5),
        D(2026, 1, 9),
        "住院",
    )
    entry = AuditEntry.objects.get(action="create", model="cadres.leaverecord")
    assert entry.cadre_id == cadre_a.pk and entry.scope_path == cadre_a.unit.path


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": ""}, "kind", "请选择请假类别。"),
        ({"kind": "annual"}, "kind", "请选择请假类别。"),
        ({"start": None}, "start_date", "请填写开始日期。"),
        ({"start": D(1999, 12, 31), "end": D(2000, 1, 5)}, "start_date", "开始日期不能早于2000年。"),
        ({"start": D(2026, 1, 5), "end": D(2026, 1, 4)}, "end_date", "结束日期不能早于开始日期。"),
        ({"note": "说" * 201}, "note", "说明不能超过200个字。"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(staff, cadre_a, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        record(staff, cadre_a, **changes)
    assert errors_of(exc)[field] == message
    assert not LeaveRecord.objects.exists()
    assert not AuditEntry.objects.filter(model="cadres.leaverecord").exists()


def test_the_edges_of_the_dates_are_accepted(staff, cadre_a):
    assert record(staff, cadre_a, start=D(2000, 1, 1), end=D(2000, 1, 1)).end_date == D(2000, 1, 1)
    # a leave may be recorded ahead of time, and one still running has no end
    assert record(staff, cadre_a, start=D(2026, 7, 1), end=None).end_date is None


def test_an_overlapping_leave_is_refused_naming_the_leave_it_overlaps(staff, cadre_a):
    record(staff, cadre_a, kind="sick", start=D(2026, 3, 1), end=D(2026, 3, 31))
    with pytest.raises(ValidationError) as exc:
        record(staff, cadre_a, kind="personal", start=D(2026, 3, 31), end=D(2026, 4, 10))
    assert "与已登记的病假（2026-03-01至2026-03-31）时间重叠" in errors_of(exc)["start_date"]
    assert LeaveRecord.objects.count() == 1
    # the day after is free, and another cadre's leave never clashes
    record(staff, cadre_a, kind="personal", start=D(2026, 4, 1), end=D(2026, 4, 10))
    record(staff, CadreFactory(unit=cadre_a.unit), start=D(2026, 3, 15), end=D(2026, 3, 20))


def test_a_leave_still_running_overlaps_every_later_span(staff, cadre_a):
    record(staff, cadre_a, start=D(2026, 5, 1), end=None)
    with pytest.raises(ValidationError) as exc:
        record(staff, cadre_a, kind="other", start=D(2027, 1, 1), end=D(2027, 1, 2))
    assert "病假（2026-05-01至今）" in errors_of(exc)["start_date"]
    # an open span starting before an earlier leave ends clashes with it as well
    with pytest.raises(ValidationError):
        record(staff, cadre_a, start=D(2026, 4, 30), end=None)
    record(staff, cadre_a, start=D(2026, 4, 20), end=D(2026, 4, 30))


def test_an_update_may_keep_its_own_span_but_not_take_anothers(staff, cadre_a):
    first = record(staff, cadre_a, start=D(2026, 1, 5), end=D(2026, 1, 9))
    record(staff, cadre_a, start=D(2026, 2, 1), end=D(2026, 2, 5))
    leave_update(actor=staff, leave=first, kind="personal", start_date=D(2026, 1, 4), end_date=D(2026, 1, 31))
    first.refresh_from_db()
    assert (first.kind, first.start_date, first.end_date) == ("personal", D(2026, 1, 4), D(2026, 1, 31))
    with pytest.raises(ValidationError) as exc:
        leave_update(
            actor=staff, leave=first, kind="personal", start_date=D(2026, 1, 4), end_date=D(2026, 2, 1)
        )
    assert "2026-02-01至2026-02-05" in errors_of(exc)["start_date"]
    first.refresh_from_db()
    assert first.end_date == D(2026, 1, 31)
    entry = AuditEntry.objects.get(action="update", model="cadres.leaverecord")
    assert entry.cadre_id == cadre_a.pk


def test_deleting_a_leave_is_on_the_record(staff, cadre_a):
    leave = record(staff, cadre_a)
    leave_delete(actor=staff, leave=leave)
    assert not LeaveRecord.objects.exists()
    assert AuditEntry.objects.get(action="delete", model="cadres.leaverecord").cadre_id == cadre_a.pk


def test_a_cadre_outside_the_scope_is_refused(staff, cadre_b):
    with pytest.raises(ValidationError) as exc:
        record(staff, cadre_b)
    assert errors_of(exc)["cadre"] == "该干部不在您的管辖范围内。"
    assert not LeaveRecord.objects.exists()


def test_a_leave_outside_the_scope_can_be_neither_changed_nor_deleted(users, cadre_b):
    leave = record(users["city_staff"], cadre_b)
    with pytest.raises(PermissionDenied):
        leave_update(
            actor=users[Role.STAFF], leave=leave, kind="other", start_date=D(2026, 1, 5), end_date=None
        )
    with pytest.raises(PermissionDenied):
        leave_delete(actor=users[Role.STAFF], leave=leave)
    leave.refresh_from_db()
    assert leave.kind == "sick"


@pytest.mark.parametrize("role", READ_ONLY)
def test_roles_without_edit_registry_may_not_write_leave(users, staff, cadre_a, role):
    leave = record(staff, cadre_a)
    with pytest.raises(PermissionDenied):
        record(users[role], cadre_a, start=D(2026, 2, 1), end=D(2026, 2, 2))
    with pytest.raises(PermissionDenied):
        leave_update(actor=users[role], leave=leave, kind="other", start_date=D(2026, 1, 5), end_date=None)
    with pytest.raises(PermissionDenied):
        leave_delete(actor=users[role], leave=leave)
    assert LeaveRecord.objects.get().kind == "sick"


# ---------------------------------------------------------------- the grade follows


@pytest.fixture
def graded(cadre_a):
    """The open 2026 annual period with 张三 graded 称职 (85 in every indicator)."""
    period = make_period(year=2026, status="grading")
    Assessment.objects.create(
        period=period, cadre=cadre_a, unit=cadre_a.unit, scores=dict.fromkeys(CODES, 85)
    )
    from assessment.services.recompute import period_recompute

    period_recompute(period_id=period.pk)
    return Assessment.objects.get(period=period, cadre=cadre_a)


def test_recording_and_removing_long_leave_regrades_the_open_annual_period(
    staff, cadre_a, graded, django_capture_on_commit_callbacks
):
    assert graded.final_grade == Grade.COMPETENT
    with django_capture_on_commit_callbacks(execute=True):
        leave = record(
            staff, cadre_a, start=D(2026, 1, 1), end=D(2026, 7, 1)
        )  # 182 days: not over half of 365
    graded.refresh_from_db()
    assert graded.final_grade == Grade.COMPETENT
    with django_capture_on_commit_callbacks(execute=True):
        leave_update(actor=staff, leave=leave, kind="sick", start_date=D(2026, 1, 1), end_date=D(2026, 7, 2))
    graded.refresh_from_db()
    assert (graded.final_grade, graded.grade_code) == (Grade.NOT_ASSESSED, 6)
    assert any(e.get("rule") == "长期请假" and "183 天" in e.get("facts", "") for e in graded.explanation)
    with django_capture_on_commit_callbacks(execute=True):
        leave_delete(actor=staff, leave=leave)
    graded.refresh_from_db()
    assert graded.final_grade == Grade.COMPETENT


def test_setting_the_probation_end_regrades_the_open_annual_period(
    staff, cadre_a, graded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cadre_update(actor=staff, cadre=cadre_a, probation_end=D(2026, 12, 31))
    graded.refresh_from_db()
    assert (graded.final_grade, graded.grade_code) == (Grade.UNDETERMINED, 5)
    with django_capture_on_commit_callbacks(execute=True):
        cadre_update(actor=staff, cadre=cadre_a, probation_end=D(2026, 12, 30))
    graded.refresh_from_db()
    assert graded.final_grade == Grade.COMPETENT


def test_a_probation_end_before_the_work_start_date_is_refused(staff, cadre_a):
    with pytest.raises(ValidationError) as exc:
        cadre_update(
            actor=staff, cadre=cadre_a, probation_end=cadre_a.work_start_date - datetime.timedelta(days=1)
        )
    assert errors_of(exc)["probation_end"] == "试用期满日期不能早于参加工作时间。"
    cadre_a.refresh_from_db()
    assert cadre_a.probation_end is None
    # the work start date itself is accepted
    cadre_update(actor=staff, cadre=cadre_a, probation_end=cadre_a.work_start_date)


# ---------------------------------------------------------------- pages


def profile(client, cadre) -> str:
    return client.get(reverse("cadres:detail", args=[cadre.pk])).content.decode()


def test_the_profile_lists_leave_with_its_days_and_this_years_total(client, staff, cadre_a):
    record(staff, cadre_a, kind="sick", start=D(2026, 1, 5), end=D(2026, 1, 9))
    record(staff, cadre_a, kind="personal", start=D(2025, 12, 30), end=D(2026, 1, 2))
    record(staff, cadre_a, kind="other", start=D(2026, 6, 1), end=None)
    client.force_login(staff)
    page = profile(client, cadre_a)
    assert 'id="leaves"' in page and "请假记录" in page
    assert "5天" in page and "4天" in page and "15天" in page  # 6-01 to today (6-15)
    assert "休假中" in page
    # this year: 5 + 2 (Jan 1–2) + 15
    assert "3条，2026年请假22天" in page
    assert reverse("cadres:leave_create", args=[cadre_a.pk]) in page


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_see_leave_but_no_buttons_and_get_403_on_the_forms(
    client, users, staff, cadre_a, role
):
    leave = record(staff, cadre_a)
    client.force_login(users[role])
    page = profile(client, cadre_a)
    assert "请假记录" in page and "登记请假" not in page
    assert reverse("cadres:leave_edit", args=[cadre_a.pk, leave.pk]) not in page
    assert client.get(reverse("cadres:leave_create", args=[cadre_a.pk])).status_code == 403
    assert client.post(reverse("cadres:leave_delete", args=[cadre_a.pk, leave.pk])).status_code == 403
    assert LeaveRecord.objects.count() == 1


def test_the_form_records_a_leave_and_returns_to_the_profile(client, staff, cadre_a):
    client.force_login(staff)
    url = reverse("cadres:leave_create", args=[cadre_a.pk])
    assert "登记请假" in client.get(url).content.decode()
    response = client.post(
        url, {"kind": "sick", "start_date": "2026-02-02", "end_date": "2026-02-06", "note": "感冒"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#leaves")
    assert LeaveRecord.objects.get().note == "感冒"


def test_a_refused_form_keeps_the_input_and_says_why(client, staff, cadre_a):
    record(staff, cadre_a, start=D(2026, 2, 1), end=D(2026, 2, 10))
    client.force_login(staff)
    response = client.post(
        reverse("cadres:leave_create", args=[cadre_a.pk]),
        {"kind": "personal", "start_date": "2026-02-10", "end_date": "2026-02-12", "note": "探亲"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "时间重叠" in page and 'value="探亲"' in page and 'value="2026-02-10"' in page
    response = client.post(reverse("cadres:leave_create", args=[cadre_a.pk]), {"kind": "", "start_date": ""})
    assert "请选择请假类别。" in response.content.decode() and "请填写开始日期。" in response.content.decode()
    assert LeaveRecord.objects.count() == 1


def test_the_edit_form_shows_the_record_and_saves_it(client, staff, cadre_a):
    leave = record(staff, cadre_a, note="住院")
    client.force_login(staff)
    url = reverse("cadres:leave_edit", args=[cadre_a.pk, leave.pk])
    assert 'value="住院"' in client.get(url).content.decode()
    response = client.post(url, {"kind": "other", "start_date": "2026-01-05", "end_date": "", "note": "产假"})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert (leave.kind, leave.end_date, leave.note) == ("other", None, "产假")


def test_deleting_from_the_profile_removes_the_leave(client, staff, cadre_a):
    leave = record(staff, cadre_a, note="住院")
    client.force_login(staff)
    url = reverse("cadres:leave_delete", args=[cadre_a.pk, leave.pk])
    assert "确定删除病假（2026-01-05—2026-01-09）（5天，住院）吗？" in client.get(url).content.decode()
    assert LeaveRecord.objects.exists()  # asking changes nothing
    response = client.post(url)
    assert response.status_code == 302 and not LeaveRecord.objects.exists()


def test_a_leave_is_reached_only_through_its_own_cadre(client, staff, cadre_a, tree):
    other = CadreFactory(unit=tree["town_a"])
    leave = record(staff, cadre_a)
    client.force_login(staff)
    assert client.get(reverse("cadres:leave_edit", args=[other.pk, leave.pk])).status_code == 404
    assert client.post(reverse("cadres:leave_delete", args=[other.pk, leave.pk])).status_code == 404
    assert LeaveRecord.objects.count() == 1


def test_the_cadre_form_takes_and_the_profile_shows_the_probation_end(client, staff, cadre_a):
    from tests.cadres.test_views import cadre_form_data

    client.force_login(staff)
    url = reverse("cadres:edit", args=[cadre_a.pk])
    assert 'name="probation_end"' in client.get(url).content.decode()
    bad = client.post(url, cadre_form_data(cadre_a, probation_end="2001-01-01"))
    assert "试用期满日期不能早于参加工作时间。" in bad.content.decode()
    response = client.post(url, cadre_form_data(cadre_a, probation_end="2026-12-31"))
    assert response.status_code == 302
    cadre_a.refresh_from_db()
    assert cadre_a.probation_end == D(2026, 12, 31)
    page = profile(client, cadre_a)
    assert "试用期满日期" in page and "2026-12-31" in page


# ---------------------------------------------------------------- API


def test_the_api_lists_leave_of_a_cadre_in_scope(users, staff, cadre_a, tree, django_assert_num_queries):
    record(staff, cadre_a, start=D(2026, 1, 5), end=D(2026, 1, 9))
    record(staff, cadre_a, start=D(2026, 3, 1), end=None)
    record(staff, CadreFactory(unit=tree["town_a"]))
    record(users["city_staff"], CadreFactory(unit=tree["town_b"]))
    client = token_client(users[Role.AUDITOR])
    # the token with its user, the user's unit (scope), the count, the page (cadres joined)
    with django_assert_num_queries(3):  # the token reads its user's unit with it (accounts.authentication)
        response = client.get(f"/api/v1/leave-records/?cadre={cadre_a.pk}")
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert (first["kind"], first["kind_code"], first["end_date"], first["days"]) == (
        "病假",
        "sick",
        None,
        107,
    )
    assert body["results"][1]["days"] == 5
    assert token_client(users[Role.AUDITOR]).get("/api/v1/leave-records/").json()["count"] == 3
    assert client.get("/api/v1/leave-records/?cadre=x").status_code == 400


def test_the_api_records_changes_and_deletes_leave(users, staff, cadre_a):
    client = token_client(staff)
    created = client.post(
        "/api/v1/leave-records/",
        {"cadre": cadre_a.pk, "kind": "事假", "start_date": "2026-02-02", "end_date": "2026-02-04"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    leave_id = created.json()["id"]
    assert created.json()["days"] == 3
    url = f"/api/v1/leave-records/{leave_id}/"
    changed = client.patch(url, {"end_date": None, "cadre": 999}, format="json")
    assert changed.status_code == 200 and changed.json()["end_date"] is None
    assert changed.json()["cadre"] == cadre_a.pk  # the cadre is not changed
    assert client.get(url).json()["kind_code"] == "personal"
    assert client.delete(url).status_code == 204
    assert not LeaveRecord.objects.exists()


def test_the_api_refuses_bad_leave_with_the_field_and_message(users, staff, cadre_a, cadre_b):
    record(staff, cadre_a, start=D(2026, 2, 1), end=D(2026, 2, 10))
    client = token_client(staff)
    overlap = client.post(
        "/api/v1/leave-records/",
        {"cadre": cadre_a.pk, "kind": "sick", "start_date": "2026-02-10"},
        format="json",
    )
    assert overlap.status_code == 400
    assert "时间重叠" in overlap.json()["error"]["fields"]["start_date"][0]
    backwards = client.post(
        "/api/v1/leave-records/",
        {"cadre": cadre_a.pk, "kind": "sick", "start_date": "2026-03-10", "end_date": "2026-03-09"},
        format="json",
    )
    assert backwards.json()["error"]["fields"]["end_date"] == ["结束日期不能早于开始日期。"]
    outside = client.post(
        "/api/v1/leave-records/",
        {"cadre": cadre_b.pk, "kind": "sick", "start_date": "2026-03-10"},
        format="json",
    )
    assert outside.status_code == 400 and "cadre" in outside.json()["error"]["fields"]
    assert LeaveRecord.objects.count() == 1


def test_the_api_hides_leave_outside_the_scope_and_refuses_readers(users, cadre_a, cadre_b):
    theirs = record(users["city_staff"], cadre_b)
    ours = record(users["city_staff"], cadre_a)
    assert token_client(users[Role.STAFF]).get(f"/api/v1/leave-records/{theirs.pk}/").status_code == 404
    assert token_client(users[Role.STAFF]).delete(f"/api/v1/leave-records/{theirs.pk}/").status_code == 404
    reader = token_client(users[Role.AUDITOR])
    assert reader.get(f"/api/v1/leave-records/{ours.pk}/").status_code == 200
    refused = reader.delete(f"/api/v1/leave-records/{ours.pk}/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert LeaveRecord.objects.count() == 2


def test_the_cadre_api_reads_and_writes_the_probation_end(users, staff, cadre_a):
    client = token_client(staff)
    url = f"/api/v1/cadres/{cadre_a.pk}/"
    assert client.get(url).json()["probation_end"] is None
    refused = client.patch(url, {"probation_end": "2001-06-30"}, format="json")
    assert refused.json()["error"]["fields"]["probation_end"] == ["试用期满日期不能早于参加工作时间。"]
    assert (
        client.patch(url, {"probation_end": "2027-03-31"}, format="json").json()["probation_end"]
        == "2027-03-31"
    )
