"""问题信息档案 as staff and readers see it: who may open and register what, the verification
steps (and the refused ones), and the 暂缓使用 hold on cadres with an unverified clue."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEntry
from cadres.models import Cadre
from supervision.models import ClueSource, ClueStatus, ProblemClue
from supervision.selectors.records import cadres_on_hold_ids, is_on_hold, promotion_candidates
from supervision.services.records import clue_close, clue_create, clue_verify
from tests.factories import CadreFactory
from tests.supervision.conftest import TODAY  # the fixed day every supervision test runs on

EDITORS = {Role.STAFF, Role.HEAD}
READ_ONLY = [r for r in Role.values if r not in EDITORS]
LAST_MONTH = TODAY - datetime.timedelta(days=30)


def login(client, users, role):
    client.force_login(users[role])
    return client


def register(
    actor, cadre, *, source=ClueSource.PETITION, summary="反映其违规收受礼金", received_on=LAST_MONTH
):
    return clue_create(actor=actor, cadre=cadre, source=source, received_on=received_on, summary=summary)


@pytest.fixture
def clue_a(users, cadre_a):
    return register(users[Role.STAFF], cadre_a)


@pytest.fixture
def clue_b(users, cadre_b):
    return register(users["city_staff"], cadre_b, source=ClueSource.ONLINE, summary="网络反映乙县问题")


# ---------------------------------------------------------------- access by role and scope


@pytest.mark.parametrize("role", Role.values)
def test_every_role_sees_clues_of_its_county_and_not_of_another(client, users, clue_a, clue_b, role):
    html = login(client, users, role).get(reverse("supervision:clue_list")).content.decode()
    assert "张三" in html
    assert "反映其违规收受礼金" in html
    assert "李四" not in html
    assert "网络反映乙县问题" not in html


@pytest.mark.parametrize("role", Role.values)
def test_every_role_can_read_a_clue_in_its_county(client, users, clue_a, role):
    response = login(client, users, role).get(reverse("supervision:clue_detail", args=[clue_a.pk]))
    assert response.status_code == 200
    assert "反映其违规收受礼金" in response.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_no_role_can_read_a_clue_in_another_county(client, users, clue_b, role):
    response = login(client, users, role).get(reverse("supervision:clue_detail", args=[clue_b.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_register_or_verify_clues(client, users, cadre_a, clue_a, role):
    login(client, users, role)
    assert client.get(reverse("supervision:clue_create")).status_code == 403
    data = {"cadre": cadre_a.pk, "source": "petition", "received_on": LAST_MONTH.isoformat(), "summary": "x"}
    assert client.post(reverse("supervision:clue_create"), data).status_code == 403
    verify = {"status": "unfounded", "verified_on": TODAY.isoformat(), "conclusion": "查无实据"}
    assert client.post(reverse("supervision:clue_verify", args=[clue_a.pk]), verify).status_code == 403
    assert ProblemClue.objects.count() == 1
    clue_a.refresh_from_db()
    assert clue_a.status == ClueStatus.PENDING


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_see_no_register_button_nor_verification_form(client, users, clue_a, role):
    login(client, users, role)
    listing = client.get(reverse("supervision:clue_list")).content.decode()
    detail = client.get(reverse("supervision:clue_detail", args=[clue_a.pk])).content.decode()
    assert reverse("supervision:clue_create") not in listing
    assert reverse("supervision:clue_verify", args=[clue_a.pk]) not in detail


def test_verifying_a_clue_in_another_county_is_not_found(client, users, clue_b):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_verify", args=[clue_b.pk]),
        {"status": "unfounded", "verified_on": TODAY.isoformat(), "conclusion": "查无实据"},
    )
    assert response.status_code == 404
    clue_b.refresh_from_db()
    assert clue_b.status == ClueStatus.PENDING


def test_the_create_page_for_a_cadre_in_another_county_is_not_found(client, users, cadre_b):
    response = login(client, users, Role.STAFF).get(
        reverse("supervision:clue_create") + f"?cadre={cadre_b.pk}"
    )
    assert response.status_code == 404


def test_the_service_refuses_a_cadre_outside_the_actors_county(users, cadre_b):
    with pytest.raises(ValidationError) as exc:
        register(users[Role.STAFF], cadre_b)
    assert exc.value.message_dict["cadre"] == ["该干部不在您的管辖范围内。"]


def test_the_service_refuses_a_read_only_role(users, cadre_a):
    with pytest.raises(PermissionDenied):
        register(users[Role.AUDITOR], cadre_a)


def test_the_list_filters_by_source_status_unit_and_name(client, users, tree, cadre_a, clue_a):
    other = CadreFactory(unit=tree["county_a"], name="王五")
    register(users[Role.STAFF], other, source=ClueSource.INSPECTION, summary="巡察发现的问题")
    login(client, users, Role.STAFF)
    url = reverse("supervision:clue_list")
    assert "巡察发现的问题" not in client.get(url, {"source": "petition"}).content.decode()
    assert "巡察发现的问题" not in client.get(url, {"unit": tree["town_a"].pk}).content.decode()
    by_name = client.get(url, {"name": "王"}).content.decode()
    assert "巡察发现的问题" in by_name and "反映其违规收受礼金" not in by_name
    assert "没有符合条件的问题线索" in client.get(url, {"status": "closed"}).content.decode()


# ---------------------------------------------------------------- registering through the page


def test_staff_registers_a_clue_by_the_cadres_name_and_the_trail_records_it(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_create"),
        {
            "cadre_query": "张三",
            "source": "discipline",
            "received_on": LAST_MONTH.isoformat(),
            "summary": "违规兼职",
        },
    )
    clue = ProblemClue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:clue_detail", args=[clue.pk])
    assert (clue.cadre, clue.source, clue.status, clue.created_by) == (
        cadre_a,
        ClueSource.DISCIPLINE,
        ClueStatus.PENDING,
        users[Role.STAFF],
    )
    entry = AuditEntry.objects.get(model="supervision.problemclue", object_id=str(clue.pk))
    assert (entry.action, entry.cadre_id, entry.scope_path) == ("create", cadre_a.pk, cadre_a.unit.path)
    page = client.get(response["Location"]).content.decode()
    assert "核实前该干部暂缓使用" in page
    assert "暂缓使用" in page


def test_staff_registers_a_clue_by_the_cadres_id_number(client, users, cadre_a):
    login(client, users, Role.STAFF).post(
        reverse("supervision:clue_create"),
        {
            "cadre_query": cadre_a.id_number,
            "source": "judicial",
            "received_on": LAST_MONTH.isoformat(),
            "summary": "涉诉",
        },
    )
    assert ProblemClue.objects.get().cadre == cadre_a


def test_a_name_outside_the_county_is_not_found_and_nothing_is_registered(client, users, cadre_b):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_create"),
        {"cadre_query": "李四", "source": "petition", "received_on": LAST_MONTH.isoformat(), "summary": "x"},
    )
    assert response.status_code == 200
    assert "在您的管辖范围内没有找到“李四”" in response.content.decode()
    assert not ProblemClue.objects.exists()


def test_namesakes_are_offered_to_choose_from_and_the_chosen_one_is_registered(client, users, tree, cadre_a):
    namesake = CadreFactory(unit=tree["county_a"], name="张三", post_title="科员")
    login(client, users, Role.STAFF)
    data = {
        "cadre_query": "张三",
        "source": "petition",
        "received_on": LAST_MONTH.isoformat(),
        "summary": "x",
    }
    response = client.post(reverse("supervision:clue_create"), data)
    html = response.content.decode()
    assert "找到2名符合“张三”的干部，请在下方选择一位" in html
    assert f'value="{namesake.pk}"' in html
    assert not ProblemClue.objects.exists()
    client.post(reverse("supervision:clue_create"), {**data, "cadre": namesake.pk})
    assert ProblemClue.objects.get().cadre == namesake


def test_a_unit_narrows_namesakes_to_one(client, users, tree, cadre_a):
    CadreFactory(unit=tree["county_a"], name="张三")
    login(client, users, Role.STAFF).post(
        reverse("supervision:clue_create"),
        {
            "cadre_query": "张三",
            "cadre_unit": tree["town_a"].pk,
            "source": "petition",
            "received_on": LAST_MONTH.isoformat(),
            "summary": "x",
        },
    )
    assert ProblemClue.objects.get().cadre == cadre_a


def test_a_clue_received_in_the_future_is_refused(client, users, cadre_a):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_create") + f"?cadre={cadre_a.pk}",
        {
            "cadre": cadre_a.pk,
            "source": "petition",
            "received_on": (TODAY + datetime.timedelta(days=1)).isoformat(),
            "summary": "x",
        },
    )
    assert "收到日期不能晚于今天" in response.content.decode()
    assert not ProblemClue.objects.exists()


# ---------------------------------------------------------------- verification steps


def test_a_pending_clue_verified_as_true_records_the_date_and_conclusion(client, users, clue_a):
    response = login(client, users, Role.HEAD).post(
        reverse("supervision:clue_verify", args=[clue_a.pk]),
        {"status": "confirmed", "verified_on": TODAY.isoformat(), "conclusion": "经核实，收受礼金2000元属实"},
    )
    assert response.status_code == 302
    clue_a.refresh_from_db()
    assert (clue_a.status, clue_a.verified_on, clue_a.conclusion) == (
        ClueStatus.CONFIRMED,
        TODAY,
        "经核实，收受礼金2000元属实",
    )
    entry = AuditEntry.objects.get(model="supervision.problemclue", action="update")
    assert entry.changes["status"] == ["pending", "confirmed"]
    assert entry.cadre_id == clue_a.cadre_id
    assert "已登记核实结果：属实" in client.get(response["Location"]).content.decode()


def test_verification_without_a_conclusion_or_date_is_explained_and_changes_nothing(client, users, clue_a):
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_verify", args=[clue_a.pk]),
        {"status": "unfounded", "verified_on": "", "conclusion": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写核实日期" in html
    assert "请填写核实结论" in html
    clue_a.refresh_from_db()
    assert clue_a.status == ClueStatus.PENDING


def test_a_verification_date_before_the_clue_arrived_is_refused(users, clue_a):
    with pytest.raises(ValidationError) as exc:
        clue_verify(
            actor=users[Role.STAFF],
            clue=clue_a,
            status=ClueStatus.UNFOUNDED,
            verified_on=LAST_MONTH - datetime.timedelta(days=1),
            conclusion="查无实据",
        )
    assert "核实日期不能早于收到日期" in exc.value.message_dict["verified_on"][0]


def test_a_verified_clue_cannot_be_verified_again(users, clue_a):
    staff = users[Role.STAFF]
    clue_verify(
        actor=staff, clue=clue_a, status=ClueStatus.UNFOUNDED, verified_on=TODAY, conclusion="查无实据"
    )
    with pytest.raises(ValidationError) as exc:
        clue_verify(
            actor=staff, clue=clue_a, status=ClueStatus.CONFIRMED, verified_on=TODAY, conclusion="改判"
        )
    assert exc.value.message_dict["status"] == [
        "该线索当前为“不实”，不能改为“属实”：该线索已办结，不能再变更。"
    ]


def test_replaying_the_verification_form_on_a_verified_clue_says_why_it_was_refused(client, users, clue_a):
    clue_verify(
        actor=users[Role.STAFF],
        clue=clue_a,
        status=ClueStatus.UNFOUNDED,
        verified_on=TODAY,
        conclusion="查无实据",
    )
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_verify", args=[clue_a.pk]),
        {"status": "confirmed", "verified_on": TODAY.isoformat(), "conclusion": "改判"},
        follow=True,
    )
    assert "该线索当前为“不实”，不能改为“属实”" in response.content.decode()
    clue_a.refresh_from_db()
    assert clue_a.status == ClueStatus.UNFOUNDED


def test_a_pending_clue_cannot_be_closed_before_verification(users, clue_a):
    with pytest.raises(ValidationError) as exc:
        clue_close(actor=users[Role.STAFF], clue=clue_a, closed_on=TODAY, conclusion="了结")
    assert exc.value.message_dict["status"] == [
        "该线索当前为“待核实”，不能改为“了结”：待核实的线索只能核实为“属实”或“不实”。"
    ]


def test_an_unfounded_clue_cannot_be_closed(users, clue_a):
    staff = users[Role.STAFF]
    clue_verify(
        actor=staff, clue=clue_a, status=ClueStatus.UNFOUNDED, verified_on=TODAY, conclusion="查无实据"
    )
    with pytest.raises(ValidationError, match="不能改为“了结”"):
        clue_close(actor=staff, clue=clue_a, closed_on=TODAY, conclusion="了结")


def test_a_confirmed_clue_is_closed_with_its_conclusion_kept_below_the_verification(client, users, clue_a):
    clue_verify(
        actor=users[Role.STAFF],
        clue=clue_a,
        status=ClueStatus.CONFIRMED,
        verified_on=TODAY,
        conclusion="属实",
    )
    login(client, users, Role.STAFF)
    page = client.get(reverse("supervision:clue_detail", args=[clue_a.pk])).content.decode()
    assert reverse("supervision:clue_close", args=[clue_a.pk]) in page
    response = client.post(
        reverse("supervision:clue_close", args=[clue_a.pk]),
        {"closed_on": TODAY.isoformat(), "conclusion": "已给予诫勉处理"},
    )
    assert response.status_code == 302
    clue_a.refresh_from_db()
    assert clue_a.status == ClueStatus.CLOSED
    assert clue_a.conclusion == f"属实\n【了结 {TODAY:%Y-%m-%d}】已给予诫勉处理"
    assert AuditEntry.objects.filter(model="supervision.problemclue", action="update").count() == 2


def test_closing_without_a_conclusion_is_explained(client, users, clue_a):
    clue_verify(
        actor=users[Role.STAFF],
        clue=clue_a,
        status=ClueStatus.CONFIRMED,
        verified_on=TODAY,
        conclusion="属实",
    )
    response = login(client, users, Role.STAFF).post(
        reverse("supervision:clue_close", args=[clue_a.pk]),
        {"closed_on": TODAY.isoformat(), "conclusion": " "},
    )
    assert "请填写了结意见" in response.content.decode()
    clue_a.refresh_from_db()
    assert clue_a.status == ClueStatus.CONFIRMED


# ---------------------------------------------------------------- 暂缓使用


def test_a_cadre_with_a_pending_clue_is_on_hold_until_it_is_verified(users, cadre_a, clue_a):
    assert is_on_hold(cadre_a)
    clue_verify(
        actor=users[Role.STAFF],
        clue=clue_a,
        status=ClueStatus.UNFOUNDED,
        verified_on=TODAY,
        conclusion="不实",
    )
    assert not is_on_hold(cadre_a)


def test_a_confirmed_clue_no_longer_holds_the_cadre(users, cadre_a, clue_a):
    clue_verify(
        actor=users[Role.STAFF],
        clue=clue_a,
        status=ClueStatus.CONFIRMED,
        verified_on=TODAY,
        conclusion="属实",
    )
    assert not is_on_hold(cadre_a)


def test_one_pending_clue_among_verified_ones_still_holds_the_cadre(users, cadre_a, clue_a):
    second = register(users[Role.STAFF], cadre_a, source=ClueSource.INSPECTION)
    clue_verify(
        actor=users[Role.STAFF],
        clue=second,
        status=ClueStatus.UNFOUNDED,
        verified_on=TODAY,
        conclusion="不实",
    )
    assert is_on_hold(cadre_a)


def test_held_cadres_are_listed_only_within_the_users_scope(users, cadre_a, cadre_b, clue_a, clue_b):
    assert set(cadres_on_hold_ids(users[Role.AUDITOR])) == {cadre_a.pk}
    assert set(cadres_on_hold_ids(users["city_staff"])) == {cadre_a.pk, cadre_b.pk}


def test_each_held_cadre_is_listed_once_however_many_clues_are_pending(users, cadre_a, clue_a):
    register(users[Role.STAFF], cadre_a, source=ClueSource.INSPECTION)
    assert list(cadres_on_hold_ids(users[Role.STAFF])) == [cadre_a.pk]


def test_promotion_candidates_leave_out_held_cadres_and_cadres_outside_the_scope(
    users, tree, cadre_a, cadre_b, clue_a
):
    cleared = CadreFactory(unit=tree["town_a"], name="赵六")
    clue = register(users[Role.STAFF], cleared)
    clue_verify(
        actor=users[Role.STAFF], clue=clue, status=ClueStatus.UNFOUNDED, verified_on=TODAY, conclusion="不实"
    )
    clean = CadreFactory(unit=tree["county_a"], name="钱七")
    candidates = promotion_candidates(users[Role.STAFF], Cadre.objects.all())
    assert set(candidates) == {cleared, clean}


def test_promotion_candidates_keep_the_callers_own_filters(users, tree, cadre_a):
    CadreFactory(unit=tree["county_a"], name="钱七")
    candidates = promotion_candidates(users[Role.STAFF], Cadre.objects.filter(name="张三"))
    assert list(candidates) == [cadre_a]


def test_a_clue_registered_higher_up_still_holds_the_cadre_for_the_county(users, cadre_a):
    register(users["city_staff"], cadre_a)
    assert list(promotion_candidates(users[Role.STAFF], Cadre.objects.all())) == []


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("rows", [3, 30])
def test_the_clue_list_takes_a_constant_number_of_queries(
    client, users, tree, rows, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for n in range(rows):
        register(staff, CadreFactory(unit=tree["town_a"]), summary=f"问题{n}")
    login(client, users, Role.STAFF)
    # session, user (+ unit for the scope), unit options of the filter, count of clues,
    # the page of clues with cadre and unit, count of held cadres
    with django_assert_num_queries(7):
        response = client.get(reverse("supervision:clue_list"))
    assert response.content.decode().count("/supervision/records/clues/") >= rows
