import datetime

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditEntry
from cadres import idnumber
from cadres.models import Cadre, Unit
from tests.factories import CadreFactory, make_id

READERS = [Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR]
EDITORS = (Role.STAFF, Role.HEAD)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def new_cadre_payload(unit, **extra):
    born = datetime.date(1985, 3, 9)
    data = {
        "unit": unit.pk,
        "name": "王五",
        "id_number": make_id(born),
        "work_start_date": "2007-07-01",
        "party_join_date": "2006-06-01",
        "identity": "公务员",
        "kind": "领导干部（科级）",
        "rank": "副科级",
        "post_title": "副镇长",
    }
    data.update(extra)
    return data


# ---------------------------------------------------------------- auth


def test_token_is_issued_for_valid_credentials_and_authenticates_requests(users, cadre_a):
    response = api().post(
        "/api/v1/auth/token/", {"username": "api_reader_a", "password": "pass-12345"}, format="json"
    )
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    assert client.get("/api/v1/cadres/").status_code == 200


def test_wrong_password_gets_a_400_in_the_error_shape(users):
    response = api().post("/api/v1/auth/token/", {"username": "staff_a", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "用户名或密码错误。"


def test_request_without_credentials_is_401_in_the_error_shape(db):
    response = api().get("/api/v1/cadres/")
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["error"]["message"]


# ---------------------------------------------------------------- scope per role


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_an_in_scope_cadre(role, users, cadre_a):
    response = api(users[role]).get(f"/api/v1/cadres/{cadre_a.pk}/")
    assert response.status_code == 200
    assert response.json()["name"] == "张三"


@pytest.mark.parametrize("role", READERS)
def test_every_role_gets_404_for_an_out_of_scope_cadre(role, users, cadre_b):
    response = api(users[role]).get(f"/api/v1/cadres/{cadre_b.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", READERS)
def test_patch_in_scope_is_allowed_only_for_editing_roles(role, users, cadre_a):
    response = api(users[role]).patch(f"/api/v1/cadres/{cadre_a.pk}/", {"post_title": "镇长"}, format="json")
    if role in EDITORS:
        assert response.status_code == 200
        assert Cadre.objects.get(pk=cadre_a.pk).post_title == "镇长"
    else:
        assert response.status_code == 403
        assert Cadre.objects.get(pk=cadre_a.pk).post_title == "副镇长"


@pytest.mark.parametrize("role", EDITORS)
def test_patch_out_of_scope_is_404_even_for_editors(role, users, cadre_b):
    response = api(users[role]).patch(f"/api/v1/cadres/{cadre_b.pk}/", {"post_title": "镇长"}, format="json")
    assert response.status_code == 404
    assert Cadre.objects.get(pk=cadre_b.pk).post_title == "副镇长"


@pytest.mark.parametrize("role", READERS)
def test_every_role_sees_in_scope_units_and_404_outside(role, users, tree):
    client = api(users[role])
    assert client.get(f"/api/v1/units/{tree['town_a'].pk}/").status_code == 200
    assert client.get(f"/api/v1/units/{tree['town_b'].pk}/").status_code == 404
    codes = {u["code"] for u in client.get("/api/v1/units/").json()["results"]}
    assert codes == {"C01A", "C01A01"}


@pytest.mark.parametrize("role", READERS)
def test_cadre_list_holds_only_the_subtree(role, users, cadre_a, cadre_b):
    names = [c["name"] for c in api(users[role]).get("/api/v1/cadres/").json()["results"]]
    assert names == ["张三"]


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize("role", READERS)
def test_id_number_is_masked_for_roles_that_need_not_see_it(role, users, cadre_a):
    shown = api(users[role]).get(f"/api/v1/cadres/{cadre_a.pk}/").json()["id_number"]
    if role in {Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN}:
        assert shown == cadre_a.id_number
    else:
        assert shown == idnumber.mask(cadre_a.id_number)
        assert "********" in shown


# ---------------------------------------------------------------- filters


def test_unit_filter_covers_the_whole_subtree(users, tree):
    in_town = CadreFactory(unit=tree["town_a"], name="镇干部")
    in_county = CadreFactory(unit=tree["county_a"], name="县干部")
    client = api(users["city_staff"])
    names = {c["name"] for c in client.get(f"/api/v1/cadres/?unit={tree['county_a'].pk}").json()["results"]}
    assert names == {in_town.name, in_county.name}
    names = {c["name"] for c in client.get(f"/api/v1/cadres/?unit={tree['town_a'].pk}").json()["results"]}
    assert names == {in_town.name}


def test_unit_filter_outside_scope_returns_nothing(users, cadre_b, tree):
    response = api(users[Role.STAFF]).get(f"/api/v1/cadres/?unit={tree['county_b'].pk}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_id_number_filter_matches_the_full_number_exactly(users, cadre_a, tree):
    CadreFactory(unit=tree["town_a"], name="另一人")
    client = api(users[Role.STAFF])
    hits = client.get(f"/api/v1/cadres/?id_number={cadre_a.id_number}").json()["results"]
    assert [c["name"] for c in hits] == ["张三"]
    assert client.get(f"/api/v1/cadres/?id_number={cadre_a.id_number[:10]}").json()["count"] == 0


def test_kind_and_status_filters_accept_label_or_code(users, tree):
    CadreFactory(unit=tree["town_a"], name="科员甲", kind="general", rank="staff", status="on_post")
    CadreFactory(unit=tree["town_a"], name="召回乙", status="recalled")
    client = api(users[Role.STAFF])
    assert [c["name"] for c in client.get("/api/v1/cadres/?kind=一般干部").json()["results"]] == ["科员甲"]
    assert [c["name"] for c in client.get("/api/v1/cadres/?kind=general").json()["results"]] == ["科员甲"]
    assert [c["name"] for c in client.get("/api/v1/cadres/?status=召回学习").json()["results"]] == ["召回乙"]


def test_an_unknown_filter_value_is_a_400_naming_the_choices(users):
    response = api(users[Role.STAFF]).get("/api/v1/cadres/?kind=将军")
    assert response.status_code == 400
    assert "一般干部" in response.json()["error"]["fields"]["kind"][0]


def test_units_filter_by_parent_and_code(users, tree):
    client = api(users["city_staff"])
    children = client.get(f"/api/v1/units/?parent={tree['city'].pk}").json()["results"]
    assert sorted(u["code"] for u in children) == ["C01A", "C01B"]
    assert all(u["parent"] == tree["city"].pk for u in children)
    assert all(u["kind"] == "县" for u in children)
    assert [u["name"] for u in client.get("/api/v1/units/?code=C01B01").json()["results"]] == ["乙镇"]


# ---------------------------------------------------------------- pagination and query counts


def test_page_size_is_honoured_and_capped_at_500(users, tree):
    for i in range(7):
        CadreFactory(unit=tree["town_a"], name=f"干部{i:02d}")
    client = api(users[Role.STAFF])
    body = client.get("/api/v1/cadres/?page_size=3&page=2").json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"] and body["previous"]
    assert len(client.get("/api/v1/cadres/?page_size=100000").json()["results"]) == 7


def test_cadre_list_query_count_does_not_grow_with_rows(users, tree, django_assert_num_queries):
    client = api(users[Role.STAFF])
    for i in range(3):
        CadreFactory(unit=tree["town_a"], name=f"甲{i}")
    # 1 count, 1 page of cadres joined to units, 1 educations, 1 posts, 1 audit entry (staff
    # were shown full ID numbers)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/cadres/").status_code == 200
    for i in range(30):
        CadreFactory(unit=tree["town_a"], name=f"乙{i}")
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/cadres/").json()["results"]) == 33


def test_unit_list_query_count_does_not_grow_with_rows(users, tree, django_assert_num_queries):
    client = api(users["city_staff"])
    # 1 count, 1 units, 1 team members joined to cadres, 1 parents by path
    with django_assert_num_queries(4):
        assert client.get("/api/v1/units/").json()["count"] == 5


# ---------------------------------------------------------------- writes


def test_staff_creates_a_cadre_and_the_audit_trail_records_it(users, tree):
    response = api(users[Role.STAFF]).post(
        "/api/v1/cadres/", new_cadre_payload(tree["town_a"]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["birth_date"] == "1985-03-09"
    assert body["gender"] == "男"
    assert body["kind"] == "领导干部（科级）"
    entry = AuditEntry.objects.get(model="cadres.cadre", object_id=str(body["id"]))
    assert entry.action == "create"
    assert entry.actor == users[Role.STAFF]
    assert entry.changes["name"] == [None, "王五"]


def test_creating_with_a_bad_check_digit_is_a_400_and_writes_nothing(users, tree):
    payload = new_cadre_payload(tree["town_a"])
    payload["id_number"] = payload["id_number"][:-1] + ("1" if payload["id_number"][-1] != "1" else "2")
    response = api(users[Role.STAFF]).post("/api/v1/cadres/", payload, format="json")
    assert response.status_code == 400
    assert "校验位" in response.json()["error"]["fields"]["id_number"][0]
    assert not Cadre.objects.exists()
    assert not AuditEntry.objects.exists()


def test_creating_a_duplicate_id_number_is_refused(users, cadre_a, tree):
    payload = new_cadre_payload(tree["town_a"], id_number=cadre_a.id_number)
    payload.pop("party_join_date")
    payload["work_start_date"] = "2002-07-01"
    payload["party_join_date"] = "2003-07-01"
    response = api(users[Role.STAFF]).post("/api/v1/cadres/", payload, format="json")
    assert response.status_code == 400
    assert "已登记" in response.json()["error"]["fields"]["id_number"][0]
    assert Cadre.objects.count() == 1


def test_creating_in_an_out_of_scope_unit_is_refused(users, tree):
    response = api(users[Role.STAFF]).post(
        "/api/v1/cadres/", new_cadre_payload(tree["town_b"]), format="json"
    )
    assert response.status_code == 400
    assert "管辖范围" in response.json()["error"]["fields"]["unit"][0]
    assert not Cadre.objects.exists()


def test_inconsistent_rank_is_explained_in_chinese(users, tree):
    payload = new_cadre_payload(tree["town_a"], rank="科员")
    response = api(users[Role.STAFF]).post("/api/v1/cadres/", payload, format="json")
    assert response.status_code == 400
    assert "职级应为" in response.json()["error"]["fields"]["rank"][0]


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_read_only_roles_cannot_create(role, users, tree):
    response = api(users[role]).post("/api/v1/cadres/", new_cadre_payload(tree["town_a"]), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Cadre.objects.exists()


def test_patch_records_before_and_after_in_the_audit_trail(users, cadre_a):
    api(users[Role.HEAD]).patch(f"/api/v1/cadres/{cadre_a.pk}/", {"status": "一线锻炼"}, format="json")
    entry = AuditEntry.objects.get(model="cadres.cadre", action="update")
    assert entry.changes == {"status": ["on_post", "frontline"]}
    assert entry.cadre_id == cadre_a.pk


def test_staff_creates_a_unit_under_a_unit_in_scope(users, tree):
    response = api(users[Role.STAFF]).post(
        "/api/v1/units/",
        {"code": "C01A02", "name": "甲乡", "kind": "乡镇", "parent": tree["county_a"].pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    unit = Unit.objects.get(code="C01A02")
    assert Unit.objects.get_parent(unit) == tree["county_a"]
    assert response.json()["parent"] == tree["county_a"].pk


def test_creating_a_unit_under_an_out_of_scope_parent_is_refused(users, tree):
    response = api(users[Role.STAFF]).post(
        "/api/v1/units/",
        {"code": "X1", "name": "外乡", "kind": "乡镇", "parent": tree["county_b"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert not Unit.objects.filter(code="X1").exists()


def test_duplicate_unit_code_is_refused(users, tree):
    response = api(users[Role.STAFF]).post(
        "/api/v1/units/",
        {"code": "C01A01", "name": "重复", "kind": "乡镇", "parent": tree["county_a"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "已被使用" in response.json()["error"]["fields"]["code"][0]


# ---------------------------------------------------------------- schema and docs


def test_schema_and_docs_are_served_without_a_cdn(users):
    client = api(users[Role.API_READER])
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cadres/" in schema.content
    client.force_login(users[Role.API_READER])
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()


def test_the_rank_start_date_is_set_through_the_api_and_audited(users, cadre_a):
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/cadres/{cadre_a.pk}/", {"rank_start_date": "2021-07-01"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["rank_start_date"] == "2021-07-01"
    cadre_a.refresh_from_db()
    assert cadre_a.rank_start_date == datetime.date(2021, 7, 1)
    entry = AuditEntry.objects.get(model="cadres.cadre", action="update")
    assert entry.changes == {"rank_start_date": [None, "2021-07-01"]}


def test_a_rank_start_date_after_today_or_before_work_started_is_refused(users, cadre_a, clock):
    today = clock.set("2026-06-30")
    client = api(users[Role.STAFF])
    tomorrow = today + datetime.timedelta(days=1)
    response = client.patch(
        f"/api/v1/cadres/{cadre_a.pk}/", {"rank_start_date": tomorrow.isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rank_start_date"] == ["任现职级时间不能晚于今天。"]
    before_work = cadre_a.work_start_date - datetime.timedelta(days=1)
    response = client.patch(
        f"/api/v1/cadres/{cadre_a.pk}/", {"rank_start_date": before_work.isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rank_start_date"] == ["任现职级时间不能早于参加工作时间。"]
    cadre_a.refresh_from_db()
    assert cadre_a.rank_start_date is None
