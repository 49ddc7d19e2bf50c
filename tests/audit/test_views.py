"""The audit-trail page (全程纪实): who may read it, what it shows, that it stays read-only."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from cadres import idnumber, services
from tests.factories import CadreFactory

READERS = {Role.STAFF, Role.HEAD, Role.AUDITOR}


@pytest.fixture
def edited(users, cadre_a, cadre_b):
    """张三 (甲县) edited by 甲县 staff, 李四 (乙县) edited by city staff."""
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长", reason="换届")
    services.cadre_update(actor=users["city_staff"], cadre=cadre_b, post_title="乡长")
    return cadre_a


@pytest.mark.parametrize("role", Role.values)
def test_only_roles_that_read_the_trail_can_open_the_audit_page(client, users, role):
    client.force_login(users[role])
    response = client.get(reverse("audit:list"))
    assert response.status_code == (200 if role in READERS else 403)


@pytest.mark.parametrize("role", Role.values)
def test_the_audit_link_is_in_the_navigation_only_for_readers(client, users, role):
    client.force_login(users[role])
    html = client.get(reverse("home")).content.decode()
    assert (reverse("audit:list") in html) == (role in READERS)


def test_the_page_shows_who_changed_what_from_old_to_new_in_chinese(client, users, edited):
    client.force_login(users[Role.AUDITOR])
    html = client.get(reverse("audit:list")).content.decode()
    assert "现任职务" in html
    assert "副镇长" in html and "镇长" in html
    assert "staff_a" in html
    assert "换届" in html
    assert "修改" in html


def test_the_page_shows_only_entries_of_the_users_county(client, users, edited):
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("audit:list")).content.decode()
    assert "张三" in html
    assert "李四" not in html


def test_auditors_see_id_numbers_masked_in_changes(client, users, cadre_a):
    new_id = idnumber.make(
        "110101", cadre_a.birth_date, 13
    )  # an area the factory never uses: never the same number
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, id_number=new_id)
    client.force_login(users[Role.AUDITOR])
    html = client.get(reverse("audit:list")).content.decode()
    assert idnumber.mask(new_id) in html
    assert new_id not in html
    # the trail keeps no clear number at all (core/crypto.py): staff read the mask too
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("audit:list")).content.decode()
    assert idnumber.mask(new_id) in html and new_id not in html


def test_foreign_keys_are_shown_by_name_and_choices_by_label(client, users, tree):
    services.cadre_create(
        actor=users[Role.STAFF],
        unit=tree["town_a"],
        **{
            k: v
            for k, v in CadreFactory.build(unit=tree["town_a"], name="王五").__dict__.items()
            if k in services.CADRE_FIELDS and k != "unit"
        },
    )
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("audit:list")).content.decode()
    assert "甲镇" in html  # the unit id resolved to its name
    assert "领导干部（科级）" in html  # the kind code shown as its label


def test_filters_by_action_actor_object_type_and_text(client, users, edited, tree):
    services.unit_update(actor=users[Role.HEAD], unit=tree["town_a"], name="甲街道", code="C01A01")
    client.force_login(users["city_staff"])
    url = reverse("audit:list")

    def objects(**params):
        return [e.object_repr for e in client.get(url, params).context["page"].object_list]

    assert objects(model="cadres.unit") == ["甲街道"]
    assert sorted(objects(model="cadres.cadre")) == ["张三", "李四"]
    assert objects(actor="head_a") == ["甲街道"]
    assert objects(action="delete") == []
    assert objects(q="换届") == ["张三"]
    assert objects(q="李四") == ["李四"]


def test_a_filter_that_cannot_apply_says_why_and_offers_to_clear_it(client, users, edited):
    client.force_login(users[Role.STAFF])
    url = reverse("audit:list")
    html = client.get(url, {"action": "改写"}).content.decode()
    assert "操作：选择一个有效的选项" in html
    assert f'href="{url}" title="清除筛选"' in html
    assert 'title="清除筛选"' not in client.get(url).content.decode()


def test_filter_by_batch_shows_the_batch_only(client, users, cadre_a):
    from audit.models import AuditAction
    from audit.services import audit_record, snapshot

    audit_record(
        actor=users[Role.STAFF],
        action=AuditAction.UPDATE,
        instance=cadre_a,
        before={**snapshot(cadre_a), "post_title": "旧"},
        after=snapshot(cadre_a),
        cadre_id=cadre_a.pk,
        scope_path=cadre_a.unit.path,
        batch="import-1",
    )
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长")
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("audit:list"), {"batch": "import-1"}).context["page"]
    assert [e.batch for e in page.object_list] == ["import-1"]


def test_the_page_offers_no_way_to_change_or_delete_entries(client, users, edited):
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("audit:list")).content.decode()
    main = html.split("<main")[1]
    assert 'method="post"' not in main
    assert client.post(reverse("audit:list")).status_code == 405


@pytest.mark.parametrize("count", [3, 30])
def test_the_audit_page_costs_the_same_queries_for_3_or_30_entries(
    client, users, tree, count, django_assert_num_queries
):
    for i in range(count):
        services.cadre_create(
            actor=users[Role.STAFF],
            unit=tree["town_a"],
            **{
                k: v
                for k, v in CadreFactory.build(name=f"干部{i}").__dict__.items()
                if k in services.CADRE_FIELDS and k != "unit"
            },
        )
    client.force_login(users[Role.STAFF])
    # session, user, user's unit (scope), COUNT for the pager, the page of entries,
    # the units named in the changes (one query for all of them)
    with django_assert_num_queries(6):
        response = client.get(reverse("audit:list"))
    assert response.status_code == 200
