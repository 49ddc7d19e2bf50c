"""The bonus base and team pool pages: bases own or inherited, pools with their arithmetic and
shares (to the fen), forms that refuse bad input with the service's message, read-only roles
shown no write button and refused, objects outside the subtree not found."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessment.models import TeamAssessment
from cadres.models import UnitKind
from incentives.models import BonusBase, PoolShare, TeamPool
from incentives.services_pools import bonus_base_set, pool_create, pool_shares_set
from tests.factories import CadreFactory, make_period, unit_child

BASES = reverse("incentives:bonus_bases")
POOLS = reverse("incentives:pools")


@pytest.fixture
def period(db):
    return make_period(year=2025, status="published")


@pytest.fixture
def pool(users, period, tree):
    TeamAssessment.objects.create(period=period, unit=tree["town_a"], final_grade="良好")
    return pool_create(
        actor=users["staff"], period=period, unit=tree["town_a"], kind="unit", name="甲镇班子", base="10000"
    )


@pytest.fixture
def members(tree):
    return [CadreFactory(unit=tree["town_a"], name=n) for n in ("赵一", "钱二", "孙三")]


def html(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- bonus bases


def test_a_unit_inherits_the_nearest_base_and_an_ancestor_outside_is_not_named(client, users, period, tree):
    bonus_base_set(actor=users["city_staff"], period=period, unit=tree["city"], amount="20000")
    bonus_base_set(actor=users["staff"], period=period, unit=tree["county_a"], amount="30000", note="县定")
    page = html(client, users["staff"], BASES, period=period.pk)
    rows = {
        m.group(1): row
        for row in page.split("<tr>")[1:]
        if (m := re.search(r'inc-depth-\d+">([^<]+)</td>', row))
    }
    assert "30000.00" in rows["甲县"] and "本单位设置" in rows["甲县"]
    assert "30000.00" in rows["甲镇"] and "继承自甲县" in rows["甲镇"]
    assert "乙县" not in page
    # 示范市 is above 甲县's users: its base applies to 甲县's units without a base, unnamed
    BonusBase.objects.filter(unit=tree["county_a"]).delete()
    page = html(client, users["staff"], BASES, period=period.pk)
    assert "继承自上级单位" in page and "示范市" not in page


def test_staff_set_a_base_and_bad_input_is_refused_with_the_reason(client, users, period, tree):
    client.force_login(users["staff"])
    response = client.post(f"{BASES}?period={period.pk}", {"unit": tree["town_a"].pk, "amount": "-5"})
    assert "不能为负数" in response.content.decode() and not BonusBase.objects.exists()
    response = client.post(f"{BASES}?period={period.pk}", {"unit": tree["town_a"].pk, "amount": "28000.5"})
    assert response.status_code == 302
    assert BonusBase.objects.get().amount == Decimal("28000.50")


def test_a_base_for_a_unit_outside_the_subtree_cannot_be_chosen(client, users, period, tree):
    client.force_login(users["staff"])
    response = client.post(f"{BASES}?period={period.pk}", {"unit": tree["town_b"].pk, "amount": "1"})
    assert response.status_code == 200 and not BonusBase.objects.exists()


def test_a_read_only_role_sees_bases_without_the_form_and_may_not_post(client, users, period, tree):
    page = html(client, users["auditor"], BASES, period=period.pk)
    assert "设置奖金基数" not in page
    response = client.post(f"{BASES}?period={period.pk}", {"unit": tree["town_a"].pk, "amount": "1"})
    assert response.status_code == 403 and not BonusBase.objects.exists()


def test_removing_a_units_own_base(client, users, period, tree):
    base = bonus_base_set(actor=users["staff"], period=period, unit=tree["town_a"], amount="1")
    client.force_login(users["auditor"])
    assert client.post(reverse("incentives:bonus_base_remove", args=[base.pk])).status_code == 403
    client.force_login(users["staff"])
    assert client.post(reverse("incentives:bonus_base_remove", args=[base.pk])).status_code == 302
    assert not BonusBase.objects.exists()


@pytest.mark.parametrize("extra", [3, 30])
def test_the_bases_page_reads_a_fixed_number_of_queries(
    client, users, period, tree, extra, django_assert_num_queries
):
    bonus_base_set(actor=users["staff"], period=period, unit=tree["county_a"], amount="1")
    for n in range(extra):  # more units, each with a base of its own, on the same page
        town = unit_child(tree["county_a"], f"BB{n:03d}", f"基数镇{n:02d}", UnitKind.TOWNSHIP)
        bonus_base_set(actor=users["staff"], period=period, unit=town, amount=str(100 + n))
    client.force_login(users["staff"])
    # session, user, the user's unit; the annual periods (picker, default); COUNT and the page of
    # units; the bases in force (own and ancestors'), the units' own bases (with who set them);
    # the units for the two unit selects (filter and form); the filter's chosen unit
    with django_assert_num_queries(11):
        response = client.get(BASES, {"period": period.pk, "unit": tree["county_a"].pk})
    assert response.content.decode().count("基数镇") >= min(extra, 20)


# ---------------------------------------------------------------- pools


def test_creating_a_unit_team_pool_reads_the_tier_and_goes_on_to_the_members(client, users, period, tree):
    TeamAssessment.objects.create(period=period, unit=tree["town_a"], final_grade="优秀")
    client.force_login(users["staff"])
    response = client.post(
        reverse("incentives:pool_new"),
        {"period": period.pk, "unit": tree["town_a"].pk, "kind": "unit", "name": "甲镇班子", "base": "10000"},
    )
    pool = TeamPool.objects.get()
    assert response["Location"] == reverse("incentives:pool_shares", args=[pool.pk])
    assert (pool.tier, pool.total) == ("优秀", Decimal("12000.00"))


def test_a_project_team_without_a_tier_is_refused_on_the_form(client, users, period, tree):
    client.force_login(users["staff"])
    response = client.post(
        reverse("incentives:pool_new"),
        {
            "period": period.pk,
            "unit": tree["town_a"].pk,
            "kind": "project",
            "name": "项目组",
            "base": "10000",
        },
    )
    assert "请填写项目团队的年度绩效考评等次" in response.content.decode() and not TeamPool.objects.exists()


def test_the_pool_page_shows_the_arithmetic_and_each_share_to_the_fen(client, users, pool, members):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(m, 1) for m in members])
    page = html(client, users["auditor"], reverse("incentives:pool_detail", args=[pool.pk]))
    arithmetic = page.split('data-testid="arithmetic"')[1].split("</table>")[0]
    assert "良好" in arithmetic and "10000.00 × 1 = 10000.00" in arithmetic
    shares = page.split('data-testid="shares"')[1]
    assert shares.index("赵一") < shares.index("钱二") < shares.index("孙三")
    assert "3333.34" in shares and "3333.3333…" in shares and "+0.01" in shares
    assert "合计 10000.00 元 = 奖金池" in shares
    assert "成员与权重" not in page and "删除" not in page  # the auditor reads only


def test_members_and_weights_are_saved_in_the_order_listed(client, users, pool, members):
    client.force_login(users["staff"])
    url = reverse("incentives:pool_shares", args=[pool.pk])
    data = {f"weight_{members[2].pk}": "1", f"weight_{members[0].pk}": "1", f"weight_{members[1].pk}": ""}
    response = client.post(url, data)
    assert response.status_code == 302
    saved = list(PoolShare.objects.filter(pool=pool).order_by("id").values_list("cadre__name", "amount"))
    assert saved == [("孙三", Decimal("5000.00")), ("赵一", Decimal("5000.00"))]


def test_bad_weights_are_shown_again_with_the_reason_and_nothing_changes(client, users, pool, members):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 1)])
    client.force_login(users["staff"])
    url = reverse("incentives:pool_shares", args=[pool.pk])
    response = client.post(url, {f"weight_{members[0].pk}": "0", f"weight_{members[1].pk}": "0"})
    page = response.content.decode()
    assert "分配权重不能全为零" in page and f'name="weight_{members[1].pk}" value="0"' in page
    response = client.post(url, {f"weight_{members[0].pk}": "-1"})
    assert "不能为负数" in response.content.decode()
    assert list(PoolShare.objects.filter(pool=pool).values_list("cadre__name", "amount")) == [
        ("赵一", Decimal("10000.00"))
    ]


def test_the_members_page_offers_the_units_cadres_and_finds_more(client, users, pool, members, tree):
    page = html(client, users["staff"], reverse("incentives:pool_shares", args=[pool.pk]))
    assert all(m.name in page for m in members)
    CadreFactory(unit=tree["town_b"], name="外县人")
    page = html(client, users["staff"], reverse("incentives:pool_shares", args=[pool.pk]), q="外县人")
    assert "没有找到“外县人”" in page


def test_changing_the_base_shares_again(client, users, pool, members):
    pool_shares_set(actor=users["staff"], pool=pool, shares=[(members[0], 2), (members[1], 1)])
    client.force_login(users["staff"])
    response = client.post(
        reverse("incentives:pool_edit", args=[pool.pk]), {"name": "甲镇班子", "base": "100"}
    )
    assert response.status_code == 302
    assert list(PoolShare.objects.filter(pool=pool).order_by("id").values_list("amount", flat=True)) == [
        Decimal("66.67"),
        Decimal("33.33"),
    ]
    response = client.post(
        reverse("incentives:pool_edit", args=[pool.pk]), {"name": "甲镇班子", "base": "1.001"}
    )
    assert "最多保留 2 位小数" in response.content.decode()


def test_the_pool_page_warns_when_the_leadership_team_grade_changed(client, users, pool):
    TeamAssessment.objects.filter(unit=pool.unit).update(final_grade="优秀")
    page = html(client, users["staff"], reverse("incentives:pool_detail", args=[pool.pk]))
    assert "年度等次现为“优秀”" in page


def test_pools_outside_the_subtree_are_not_found_and_read_only_roles_are_refused(client, users, pool, tree):
    client.force_login(users["staff"])
    other = TeamPool.objects.create(
        period=pool.period, unit=tree["town_b"], kind="project", name="乙镇项目组", tier="良好",
        base=1, total=1, created_by=users["city_staff"],
    )  # fmt: skip
    assert client.get(reverse("incentives:pool_detail", args=[other.pk])).status_code == 404
    assert "乙镇项目组" not in html(client, users["staff"], POOLS)
    client.force_login(users["county_admin"])
    for name in ("pool_edit", "pool_shares", "pool_delete"):
        assert client.post(reverse(f"incentives:{name}", args=[pool.pk]), {}).status_code == 403
    assert client.get(reverse("incentives:pool_new")).status_code == 403
    assert TeamPool.objects.count() == 2


def test_deleting_a_pool(client, users, pool):
    client.force_login(users["staff"])
    response = client.post(reverse("incentives:pool_delete", args=[pool.pk]))
    assert response.status_code == 302 and not TeamPool.objects.exists()


@pytest.mark.parametrize("count", [1, 20])
def test_the_pools_page_reads_a_fixed_number_of_queries(
    client, users, period, tree, count, django_assert_num_queries
):
    for n in range(count):
        p = pool_create(
            actor=users["staff"], period=period, unit=tree["town_a"], kind="project", name=f"组{n}", base="100",
            tier="良好",
        )  # fmt: skip
        pool_shares_set(actor=users["staff"], pool=p, shares=[(CadreFactory(unit=tree["town_a"]), 1)])
    client.force_login(users["staff"])
    # session, user, the user's unit; the published annual periods (picker, default); COUNT and
    # the page of pools (with unit label, member count and shared sum); units for the select
    with django_assert_num_queries(7):
        response = client.get(POOLS)
    assert response.context["page"].paginator.count == count


def test_the_bases_page_opens_on_the_newest_published_period(client, users, period, tree):
    make_period(year=2026, status="collecting")
    bonus_base_set(actor=users["staff"], period=period, unit=tree["town_a"], amount="12345")
    page = html(client, users["staff"], BASES)
    assert "12345.00" in page
    assert f'<option value="{period.pk}" selected>' in page
