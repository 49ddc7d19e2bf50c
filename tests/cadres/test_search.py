"""The header search: cadres by name, pinyin initials or ID number, within the user's scope."""

import io

import pytest
from django.urls import reverse

from accounts.roles import Role
from cadres import search
from cadres.models import Cadre
from tests.factories import CadreFactory

URL = reverse("cadres:search")


def found(client, user, q) -> tuple[str, list[str]]:
    """The page's text and the names it lists."""
    client.force_login(user)
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    page = response.context["page"]
    return response.content.decode(), [c.name for c in page.object_list] if page else []


@pytest.fixture
def zhang(tree):
    return CadreFactory(unit=tree["town_a"], name="张三")


# ---------------------------------------------------------------- the stored columns


def test_initials_are_kept_on_save_and_follow_a_rename(zhang):
    assert Cadre.objects.get(pk=zhang.pk).name_initials == "zs"
    zhang.name = "李四"
    zhang.save(update_fields=["name"])
    assert Cadre.objects.get(pk=zhang.pk).name_initials == "ls"


def test_a_surname_is_read_as_a_surname():
    assert search.name_initials("单雄信") == "sxx"  # 单 as a surname is shàn, not dān
    assert search.name_initials("曾国藩") == "zgf"
    assert search.name_initials("长孙无忌") == "zswj"
    assert search.name_initials("王 敏") == "wm"


def test_the_tail_hash_follows_a_changed_id_number(zhang):
    new_number = CadreFactory.build().id_number
    zhang.id_number = new_number
    zhang.save(update_fields=["id_number"])
    assert Cadre.objects.get(pk=zhang.pk).id_tail_hash == search.tail_digest(new_number)


# ---------------------------------------------------------------- what a query finds


def test_initials_find_the_cadre_in_either_case(client, users, zhang):
    for q in ("zs", "ZS", "z"):
        _, names = found(client, users[Role.STAFF], q)
        assert names == ["张三"], q
    _, names = found(client, users[Role.STAFF], "zsx")
    assert names == []


def test_initials_match_from_the_start_only(client, users, zhang):
    _, names = found(client, users[Role.STAFF], "s")
    assert names == []


def test_a_part_of_the_name_finds_the_cadre(client, users, zhang):
    _, names = found(client, users[Role.STAFF], "三")
    assert names == ["张三"]


def test_one_result_is_listed_not_redirected_and_links_to_the_profile(client, users, zhang):
    html, names = found(client, users[Role.STAFF], "张三")
    assert names == ["张三"]
    assert reverse("cadres:detail", args=[zhang.pk]) in html


def test_a_cadre_outside_the_scope_is_not_found(client, users, tree, zhang):
    CadreFactory(unit=tree["town_b"], name="张山")  # 乙县: outside 甲县 users' scope
    html, names = found(client, users[Role.STAFF], "zs")
    assert names == ["张三"]
    _, names = found(client, users["city_staff"], "zs")
    assert sorted(names) == ["张三", "张山"]


def test_the_full_id_number_finds_the_cadre_and_17_digits_get_a_hint(client, users, zhang):
    _, names = found(client, users[Role.AUDITOR], zhang.id_number)
    assert names == ["张三"]
    _, names = found(client, users[Role.AUDITOR], zhang.id_number.lower())
    assert names == ["张三"]
    html, names = found(client, users[Role.AUDITOR], zhang.id_number[:17])
    assert names == [] and "完整的18位号码或后6位（当前为17位）" in html


def test_a_full_id_number_outside_the_scope_finds_nothing(client, users, tree):
    other = CadreFactory(unit=tree["town_b"], name="李四")
    html, names = found(client, users[Role.STAFF], other.id_number)
    assert names == [] and "没有找到" in html


def test_the_last_six_find_the_cadre_for_a_county_admin(client, users, zhang):
    _, names = found(client, users[Role.COUNTY_ADMIN], zhang.id_number[-6:])
    assert names == ["张三"]


@pytest.mark.parametrize("length", [5, 7])
def test_five_or_seven_digits_get_a_hint(client, users, zhang, length):
    html, names = found(client, users[Role.COUNTY_ADMIN], zhang.id_number[-length:])
    assert names == [] and f"当前为{length}位" in html


@pytest.mark.parametrize("role", [Role.API_READER, Role.AUDITOR])
def test_the_last_six_are_refused_to_roles_that_may_not_see_id_numbers(client, users, zhang, role):
    for q in (zhang.id_number[-6:], "000000"):  # the same answer whether or not it exists
        html, names = found(client, users[role], q)
        assert names == []
        assert "不能按身份证号后6位查找" in html
        assert "没有找到" not in html


def test_results_show_masked_id_numbers_only(client, users, zhang):
    html, _ = found(client, users[Role.STAFF], "zs")
    assert zhang.id_number not in html and zhang.masked_id_number in html


def test_an_empty_query_says_what_can_be_searched(client, users):
    client.force_login(users[Role.AUDITOR])
    html = client.get(URL).content.decode()
    assert "拼音首字母" in html and "18位身份证号" in html
    assert "后6位" not in html  # an auditor may not search by the last six


def test_the_header_has_the_search_box(client, users):
    client.force_login(users[Role.STAFF])
    html = client.get(reverse("home")).content.decode()
    assert f'action="{URL}"' in html and 'name="q"' in html and "姓名、拼音首字母或身份证号" in html


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL, {"q": "zs"})
    assert response.status_code == 302


@pytest.mark.parametrize("count", [3, 30])
def test_the_query_count_does_not_grow_with_the_results(
    client, users, tree, count, django_assert_num_queries
):
    for i in range(count):
        CadreFactory(unit=tree["town_a"], name=f"赵钱{i}")
    client.force_login(users[Role.STAFF])
    # session, user, the user's unit (the header), count of matches, the page of cadres with
    # their units (one join)
    with django_assert_num_queries(5):
        response = client.get(URL, {"q": "zq"})
    assert response.context["page"].paginator.count == count


def test_a_new_hash_key_and_rehash_keep_the_last_six_searchable(client, users, zhang):
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(ID_HASH_KEY="another-hash-key-of-at-least-32-characters"):
        _, names = found(client, users[Role.COUNTY_ADMIN], zhang.id_number[-6:])
        assert names == []  # the stored hash is the old key's
        call_command("rotate_encryption_keys", "--rehash", stdout=io.StringIO())
        _, names = found(client, users[Role.COUNTY_ADMIN], zhang.id_number[-6:])
        assert names == ["张三"]


def test_the_migration_fills_rows_written_before_it(zhang):
    import importlib

    from django.apps import apps

    Cadre.objects.filter(pk=zhang.pk).update(name_initials="", id_tail_hash="")
    step = importlib.import_module("cadres.migrations.0010_search_columns")
    step.fill_search_columns(apps, None)
    row = Cadre.objects.get(pk=zhang.pk)
    assert (row.name_initials, row.id_tail_hash) == ("zs", search.tail_digest(zhang.id_number))
