"""Personal data stays hidden from roles that may not see ID numbers, and every view of full ID
numbers is on the record."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditAction, AuditEntry
from cadres import idnumber
from cadres.selectors import cadre_lookup
from tests.factories import CadreFactory

RESTRICTED = [Role.API_READER, Role.AUDITOR]
FULL = [Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN]


@pytest.fixture
def person(tree):
    return CadreFactory(unit=tree["town_a"], name="王敏", phone="13812345678")


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def views():
    return AuditEntry.objects.filter(action=AuditAction.VIEW)


@pytest.mark.parametrize("role", RESTRICTED)
def test_the_api_shows_restricted_roles_no_birth_day_and_a_mask_the_rest_cannot_fill(users, person, role):
    body = api(users[role]).get(f"/api/v1/cadres/{person.pk}/").json()
    assert body["id_number"] == person.id_number[:6] + "*" * 11 + person.id_number[-1]
    assert "19800517" not in body["id_number"] and person.id_number[-4:-1] not in body["id_number"][-4:]
    assert body["birth_date"] is None and body["birth_month"] == "1980-05"


@pytest.mark.parametrize("role", FULL)
def test_roles_that_may_see_id_numbers_get_them_and_the_birth_date(users, person, role):
    body = api(users[role]).get(f"/api/v1/cadres/{person.pk}/").json()
    assert body["id_number"] == person.id_number and body["birth_date"] == "1980-05-17"


@pytest.mark.parametrize("role", RESTRICTED)
def test_the_exact_number_filter_is_refused_to_restricted_roles(users, person, role):
    response = api(users[role]).get(f"/api/v1/cadres/?id_number={person.id_number}")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "您的角色无权按身份证号查询。"


def test_the_exact_number_filter_answers_staff(users, person):
    hits = api(users[Role.STAFF]).get(f"/api/v1/cadres/?id_number={person.id_number}").json()["results"]
    assert [c["name"] for c in hits] == ["王敏"]


@pytest.mark.parametrize("role", RESTRICTED)
def test_the_profile_shows_restricted_roles_the_birth_month_and_a_masked_phone(client, users, person, role):
    client.force_login(users[role])
    text = client.get(reverse("cadres:detail", args=[person.pk])).content.decode()
    assert "1980年5月出生" in text and "1980年5月17日" not in text and "1980-05-17" not in text
    assert "138****5678" in text and "13812345678" not in text
    assert person.id_number not in text and idnumber.mask(person.id_number) in text


def test_the_profile_shows_staff_everything(client, users, person):
    client.force_login(users[Role.STAFF])
    text = client.get(reverse("cadres:detail", args=[person.pk])).content.decode()
    assert "1980年5月17日" in text and "13812345678" in text and person.id_number in text


def test_a_lookup_by_number_finds_nothing_for_a_role_that_may_not_see_numbers(users, person):
    assert cadre_lookup(users[Role.AUDITOR], person.id_number) == []
    assert cadre_lookup(users[Role.STAFF], person.id_number) == [person]
    assert [c.pk for c in cadre_lookup(users[Role.AUDITOR], "王敏")] == [person.pk]


# ---------------------------------------------------------------- views are on the record


def test_opening_a_profile_with_the_full_number_is_recorded(client, users, person):
    client.force_login(users[Role.STAFF])
    client.get(reverse("cadres:detail", args=[person.pk]))
    entry = views().get()
    assert entry.actor == users[Role.STAFF] and entry.cadre_id == person.pk
    assert entry.changes["viewed"] == [None, [person.pk]]
    assert "干部信息页" in entry.object_repr and "王敏" in entry.object_repr
    assert entry.scope_path == person.unit.path


def test_a_list_page_records_which_cadres_and_how_many(client, users, tree, person):
    others = CadreFactory.create_batch(11, unit=tree["town_a"])
    client.force_login(users[Role.STAFF])
    client.get(reverse("cadres:list"))
    entry = views().get()
    assert sorted(entry.changes["viewed"][1]) == sorted([person.pk, *(c.pk for c in others)])
    assert "等 12 名" in entry.object_repr and entry.cadre_id is None


@pytest.mark.parametrize("role", RESTRICTED)
def test_masked_views_are_not_recorded(client, users, person, role):
    client.force_login(users[role])
    client.get(reverse("cadres:detail", args=[person.pk]))
    client.get(reverse("cadres:list"))
    api(users[role]).get("/api/v1/cadres/")
    assert not views().exists()


def test_an_api_list_with_full_numbers_is_recorded_once_per_answer(users, person):
    api(users[Role.COUNTY_ADMIN]).get("/api/v1/cadres/")
    entry = views().get()
    assert entry.changes["viewed"][1] == [person.pk] and "cadres/" in entry.object_repr


def test_a_list_that_shows_nobody_records_nothing(users, person):
    api(users[Role.STAFF]).get("/api/v1/cadres/?name=没有这个人")
    assert not views().exists()


def test_the_auditor_reads_the_views_in_the_audit_trail_but_not_on_the_profile(client, users, person):
    client.force_login(users[Role.STAFF])
    client.get(reverse("cadres:detail", args=[person.pk]))
    client.force_login(users[Role.AUDITOR])
    trail = client.get(reverse("audit:list") + "?action=view").content.decode()
    assert "查看完整身份证号" in trail and "干部信息页：王敏" in trail
    assert 'action-badge action-view">查看完整身份证号<' in trail
    profile = client.get(reverse("cadres:detail", args=[person.pk])).content.decode()
    assert "干部信息页：王敏" not in profile


def test_the_audit_trail_masks_phone_and_birth_day_for_restricted_roles(client, users, tree):
    from cadres.services import cadre_create

    cadre_create(
        actor=users[Role.STAFF], unit=tree["town_a"], name="赵强", birth_date=datetime.date(1985, 2, 3),
        gender="M", id_number=idnumber.make("430121", datetime.date(1985, 2, 3), 11),
        work_start_date=datetime.date(2005, 7, 1), identity="civil_servant", kind="leader_ke",
        rank="fu_ke", phone="13900001111", post_title="副镇长", political_status="masses",
    )  # fmt: skip
    client.force_login(users[Role.AUDITOR])
    text = client.get(reverse("audit:list")).content.decode()
    assert "139****1111" in text and "13900001111" not in text
    assert "1985-02" in text and "1985-02-03" not in text


def test_the_audit_trail_does_not_show_the_id_numbers_keyed_hash(client, users, person):
    from cadres.services import cadre_update

    new_id = idnumber.make("430122", person.birth_date, 13)
    cadre_update(actor=users[Role.STAFF], cadre=person, id_number=new_id)
    client.force_login(users[Role.STAFF])
    text = client.get(reverse("audit:list")).content.decode()
    assert idnumber.mask(new_id) in text
    assert "身份证号摘要" not in text and person.id_number_hash not in text


def test_opening_the_edit_form_with_the_full_number_is_recorded(client, users, person):
    client.force_login(users[Role.STAFF])
    client.get(reverse("cadres:edit", args=[person.pk]))
    entry = views().get()
    assert entry.cadre_id == person.pk and "修改干部信息页" in entry.object_repr
