"""The 赛马 pages: the tracks, the assignment of a period's cadres, the rankings with their
rules and boards (and the xlsx); scope and roles."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import Assessment, PolicyRule, RaceTrack, RuleKind
from core.models import Job
from incentives.services_tracks import JOB_KIND
from recall.models import TrackStanding
from tests.factories import CadreFactory, make_period, make_user

from .tracks_facts import annual, field, rank, run


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.fixture
def ranked(tree):
    """2025 on 乡村振兴: 甲镇 甲 83, 乙丙 80 (tied, 乙's 绩 higher), 丁 77; 乙镇 戊 80."""
    period = annual()
    town = tree["town_a"]
    run(period, CadreFactory(unit=town, name="甲"), 绩=90)
    run(period, CadreFactory(unit=town, name="乙"), 绩=90, 德=60)
    run(period, CadreFactory(unit=town, name="丙"))
    run(period, CadreFactory(unit=town, name="丁"), 绩=70)
    field(tree["town_b"], "戊", period, 绩=80)
    run(period, CadreFactory(unit=town, name="缺"), 廉=None)
    rank(period)
    return period


# --------------------------------------------------------------------------- rankings


def test_the_rankings_page_states_the_rules_and_shows_places_and_boards(client, users, ranked, tree):
    PolicyRule.objects.create(
        unit=tree["county_a"],
        kind=RuleKind.TRACK_BOARD,
        params={"red_count": 1, "red_share": "0/1", "yellow_count": 1, "yellow_share": "0/1"},
    )
    response = page(client, users[Role.STAFF], reverse("incentives:track_rankings"), unit=tree["county_a"].pk)
    html = response.content.decode()
    assert "总分相同的，比较“绩”维度得分" in html and "如 1、2、2、4" in html
    assert "名次处于榜单边界的并列干部一并列入" in html
    assert "红榜取前 1 名，黄榜取末 1 名" in html
    rows = [(r["cadre_name"], r["position"], r["board"]) for r in response.context["rows"]]
    # 乙 and 丙 both 80.00: 乙's 绩 27.00 beats 丙's 24.00; 戊 (乙县) is not shown
    assert rows == [("甲", 1, "red"), ("乙", 2, ""), ("丙", 3, ""), ("丁", 5, "yellow")]
    assert "评分不完整，没有加权总分" in html and "缺" in html


def test_the_board_filter_shows_one_board(client, users, ranked):
    response = page(client, users["city_staff"], reverse("incentives:track_rankings"), board="yellow")
    # the default rule over the whole city: 末 1 名 of 乡村振兴 is 丁 (5 of 5)
    assert [r["cadre_name"] for r in response.context["rows"]] == ["丁"]


def test_a_unit_outside_the_scope_answers_404(client, users, ranked, tree):
    response = page(client, users[Role.STAFF], reverse("incentives:track_rankings"), unit=tree["county_b"].pk)
    assert response.status_code == 404


def test_a_filter_that_does_not_read_falls_back_and_says_why(client, users, ranked):
    response = page(
        client, users[Role.STAFF], reverse("incentives:track_rankings"), board="green", period="x"
    )
    assert response.status_code == 200
    assert "榜单只能是红榜或黄榜" in response.content.decode()
    assert len(response.context["rows"]) == 4


def test_the_rankings_page_reads_a_fixed_number_of_queries(
    client, users, ranked, tree, django_assert_num_queries
):
    client.force_login(users["city_staff"])
    url = reverse("incentives:track_rankings") + f"?period={ranked.pk}"
    client.get(url)  # the session's first read of the user

    def count():
        # session, user; the user's unit (its board rule); the tracks; the chosen period; the
        # rule rows; every place the subtree holds; the page's count and rows; the 绩
        # indicators (schemes, indicators); the unranked (rows, count); the period select (two:
        # Django's select of a bound model choice), the unit select
        with django_assert_num_queries(16):
            client.get(url)

    count()
    for i in range(30):
        run(ranked, CadreFactory(unit=tree["town_b"], name=f"新{i}"), 绩=60 + i)
    rank(ranked)
    count()


def test_the_xlsx_holds_the_rules_and_every_row(client, users, ranked):
    response = page(client, users[Role.STAFF], reverse("incentives:track_rankings"), format="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2025年度赛马排名（全部单位）"
    assert rows[1][0].startswith("排名规则：同一赛道内按加权总分从高到低排名")
    assert rows[3] == ("赛道", "名次", "参赛人数", "姓名", "单位", "加权总分", "“绩”得分", "榜单")
    assert [r[:4] for r in rows[4:]] == [
        ("乡村振兴", 1, 5, "甲"),
        ("乡村振兴", 2, 5, "乙"),
        ("乡村振兴", 3, 5, "丙"),
        ("乡村振兴", 5, 5, "丁"),
    ]
    assert rows[5][6] == 27 and rows[6][6] == 24


def test_the_rank_button_queues_the_ranking(client, users, ranked, django_capture_on_commit_callbacks):
    TrackStanding.objects.all().delete()
    client.force_login(users[Role.STAFF])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("incentives:track_rank"), {"period": ranked.pk})
    assert response.status_code == 302
    assert TrackStanding.objects.count() == 5
    assert Job.objects.get(kind=JOB_KIND).created_by == users[Role.STAFF]


def test_an_auditor_reads_the_rankings_but_may_not_rank(client, users, ranked):
    response = page(client, users[Role.AUDITOR], reverse("incentives:track_rankings"))
    assert response.status_code == 200 and "重新计算排名" not in response.content.decode()
    assert client.post(reverse("incentives:track_rank"), {"period": ranked.pk}).status_code == 403


def test_without_an_annual_period_the_page_says_so(client, users):
    response = page(client, users[Role.STAFF], reverse("incentives:track_rankings"))
    assert "尚无年度考核期" in response.content.decode()


# --------------------------------------------------------------------------- assignment


@pytest.fixture
def open_period(tree):
    period = make_period(year=2026, status="collecting")
    for name in "甲乙":
        cadre = CadreFactory(unit=tree["town_a"], name=name)
        Assessment.objects.create(period=period, cadre=cadre, unit=cadre.unit)
    return period


def test_the_assign_page_puts_the_ticked_cadres_on_a_track(client, users, open_period):
    client.force_login(users[Role.STAFF])
    url = reverse("incentives:track_assign") + f"?period={open_period.pk}"
    ids = list(Assessment.objects.filter(cadre__name="甲").values_list("cadre_id", flat=True))
    response = client.post(url, {"track": "enterprise", "cadre": ids}, follow=True)
    assert "已将 1 名干部分配到“为企服务”赛道" in response.content.decode()
    assert dict(Assessment.objects.values_list("cadre__name", "track")) == {"甲": "enterprise", "乙": ""}


def test_the_assign_page_says_why_nothing_was_assigned(client, users, open_period):
    RaceTrack.objects.filter(code="rural").update(active=False)
    client.force_login(users[Role.STAFF])
    url = reverse("incentives:track_assign") + f"?period={open_period.pk}"
    response = client.post(url, {"track": "project"})
    assert "请选择干部" in response.content.decode()
    assert "请选择赛道" in client.post(url, {"cadre": ["1"]}).content.decode()
    # a deactivated track is not offered
    assert 'value="rural"' not in response.content.decode().split('id="assign-form"')[1].split("</form>")[0]


def test_the_assign_page_takes_cadres_off_their_track_when_asked(client, users, open_period):
    Assessment.objects.filter(cadre__name="甲").update(track="rural")
    client.force_login(users[Role.STAFF])
    url = reverse("incentives:track_assign") + f"?period={open_period.pk}"
    ids = list(Assessment.objects.filter(cadre__name="甲").values_list("cadre_id", flat=True))
    response = client.post(url, {"track": "-", "cadre": ids}, follow=True)
    assert "已将 1 名干部移出赛道" in response.content.decode()
    assert Assessment.objects.get(cadre__name="甲").track == ""


def test_the_assign_page_shows_the_period_it_chose(client, users, open_period):
    make_period(year=2026, quarter=1, status="published")
    response = page(client, users[Role.STAFF], reverse("incentives:track_assign"))
    assert response.context["period"] == open_period
    assert response.context["pick"]["period"].value() == str(open_period.pk)


def test_the_assign_page_filters_by_current_track(client, users, open_period):
    Assessment.objects.filter(cadre__name="甲").update(track="rural")
    response = page(
        client, users[Role.STAFF], reverse("incentives:track_assign"), period=open_period.pk, track="-"
    )
    assert [a.cadre.name for a in response.context["page"]] == ["乙"]


def test_the_assign_page_of_a_published_period_is_read_only(client, users, ranked):
    response = page(client, users[Role.STAFF], reverse("incentives:track_assign"), period=ranked.pk)
    html = response.content.decode()
    assert "不能再调整" in html and 'id="assign-form"' not in html


def test_the_assign_page_needs_manage_incentives(client, users, open_period):
    assert page(client, users[Role.COUNTY_ADMIN], reverse("incentives:track_assign")).status_code == 403


# --------------------------------------------------------------------------- the tracks


def test_the_tracks_page_lists_use_and_lets_only_whole_tree_managers_edit(client, users, ranked):
    county = page(client, users[Role.STAFF], reverse("incentives:tracks")).content.decode()
    assert (
        "乡村振兴" in county and "新增赛道" not in county and "由管理范围为全部单位的组织部门维护" in county
    )
    city = page(client, users["city_staff"], reverse("incentives:tracks"))
    assert "新增赛道" in city.content.decode()
    rural = next(t for t in city.context["tracks"] if t.code == "rural")
    assert (rural.assessments, rural.standings, rural.in_use) == (6, 5, True)


def test_a_whole_tree_manager_adds_renames_and_deactivates_a_track(client, users):
    client.force_login(users["city_staff"])
    response = client.post(
        reverse("incentives:track_new"), {"code": "ecology", "name": "生态保护"}, follow=True
    )
    assert "已保存赛道“生态保护”" in response.content.decode()
    track = RaceTrack.objects.get(code="ecology")
    client.post(reverse("incentives:track_edit", args=[track.pk]), {"code": "ecology", "name": "生态文明"})
    client.post(reverse("incentives:track_active", args=[track.pk]), {"active": "0"})
    track.refresh_from_db()
    assert (track.name, track.active) == ("生态文明", False)


def test_the_track_form_shows_the_services_message(client, users):
    client.force_login(users["city_staff"])
    response = client.post(reverse("incentives:track_new"), {"code": "rural", "name": "生态保护"})
    assert "赛道代码“rural”已被其他赛道使用" in response.content.decode()


def test_deleting_a_track_in_use_says_why(client, users, ranked):
    client.force_login(users["city_staff"])
    rural = RaceTrack.objects.get(code="rural")
    response = client.post(reverse("incentives:track_delete", args=[rural.pk]), follow=True)
    assert "不能删除；如不再使用请停用" in response.content.decode()
    assert RaceTrack.objects.filter(pk=rural.pk).exists()


def test_a_county_manager_may_not_edit_the_tracks(client, users):
    client.force_login(users[Role.STAFF])
    rural = RaceTrack.objects.get(code="rural")
    assert client.get(reverse("incentives:track_new")).status_code == 403
    assert (
        client.post(reverse("incentives:track_move", args=[rural.pk]), {"direction": "down"}).status_code
        == 403
    )
    assert RaceTrack.objects.get(pk=rural.pk).order == 1


def test_a_missing_track_answers_404(client, users):
    client.force_login(users["city_staff"])
    assert client.get(reverse("incentives:track_edit", args=[999999])).status_code == 404


def test_the_hub_links_the_rankings(client, users):
    response = page(client, users[Role.AUDITOR], reverse("incentives:home"))
    assert reverse("incentives:track_rankings") in response.content.decode()


def test_a_user_without_a_unit_sees_the_default_boards(client, ranked, db):
    reader = make_user("root_reader", Role.AUDITOR, None, is_superuser=True)
    response = page(client, reader, reverse("incentives:track_rankings"))
    assert "红榜取前 10%" in response.content.decode()


def test_the_board_rule_is_edited_on_the_policy_page(client, users, tree):
    client.force_login(users["city_staff"])
    url = reverse("assessment:policy")
    html = client.get(url, {"unit": tree["county_a"].pk}).content.decode()
    assert "赛马红黄榜" in html and "红榜取前 10%" in html


def test_a_county_sets_its_own_boards_on_the_policy_page(client, users, tree):
    client.force_login(users[Role.STAFF])  # 甲县 staff: manage_assessment over 甲县
    url = reverse("assessment:policy_edit") + f"?kind=track_board&unit={tree['county_a'].pk}"
    data = {"red_count": "3", "red_share": "0", "yellow_count": "0", "yellow_share": "5%", "enabled": "on"}
    response = client.post(url, data)
    assert response.status_code == 302
    rule = PolicyRule.objects.get(unit=tree["county_a"], kind=RuleKind.TRACK_BOARD)
    assert rule.params == {"red_count": 3, "red_share": "0/1", "yellow_count": 0, "yellow_share": "1/20"}
    refused = client.post(url, {**data, "yellow_share": "1/0"})
    assert "须为比例" in refused.content.decode()
