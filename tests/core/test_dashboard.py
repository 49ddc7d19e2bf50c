"""The home page's dashboard: the panel registry, each panel's figures against a small world,
the links behind them, and scope (a county sees its county, a county admin only progress and
imports)."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus
from cadres.models import CadreStatus
from core import registry
from tests.factories import CadreFactory, make_user

pytestmark = pytest.mark.django_db


def _assess(period, unit, grade="", score=None, status=CadreStatus.ON_POST):
    cadre = CadreFactory(unit=unit, status=status)
    return Assessment.objects.create(
        period=period, cadre=cadre, unit=unit, final_grade=grade, total_score=score
    )


@pytest.fixture
def world(tree, users):
    from tests.factories import make_period

    published = make_period(year=2025, status="published")
    for grade in ("优秀", "优秀", "称职"):
        _assess(published, tree["town_a"], grade)
    _assess(published, tree["town_b"], "基本称职")
    _assess(published, tree["town_b"], "")
    open_period = make_period(year=2026, status="collecting")
    _assess(open_period, tree["town_a"], score=Decimal("90"))  # complete
    _assess(open_period, tree["town_a"])  # sheet in, scores incomplete
    CadreFactory(unit=tree["town_a"])  # on post, no sheet yet
    CadreFactory(unit=tree["town_a"], status=CadreStatus.RETIRED)  # not expected to be scored
    uploader = users[Role.COUNTY_ADMIN]
    for status, errors in (
        (ImportStatus.COMMITTED, []),
        (ImportStatus.FAILED, []),
        (ImportStatus.INVALID, [{"row": 3}, {"row": 5}]),
    ):
        ImportBatch.objects.create(
            period=open_period,
            unit=tree["town_a"],
            scope_path=tree["town_a"].path,
            uploaded_by=uploader,
            status=status,
            original_name=f"{status}.xlsx",
            errors=errors,
        )
    return {"published": published, "open": open_period}


def _panels(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {panel.key: context for panel, context in response.context["panels"]}, response.content.decode()


def _chart(context, chart_id):
    return next(c for c in context["charts"] if c["id"] == chart_id)


def _series(chart, name):
    return next(s for s in chart["series"] if s["name"] == name)


# ---------------------------------------------------------------- the registry


def test_panels_show_in_order_and_hide_by_perm_role_or_empty_context(users):
    with registry.restored():
        registry._dashboard.clear()
        registry.dashboard_panel("b", order=2, title="B", template="t", context=lambda u: {"n": 2})
        registry.dashboard_panel("a", order=1, title="A", template="t", context=lambda u: {"n": 1})
        registry.dashboard_panel("none", order=0, title="N", template="t", context=lambda u: None)
        registry.dashboard_panel(
            "perm", order=0, title="P", template="t", context=lambda u: {}, perm="approve"
        )
        registry.dashboard_panel(
            "role", order=0, title="R", template="t", context=lambda u: {}, roles={Role.HEAD}
        )
        shown = [(p.key, c) for p, c in registry.dashboard(users[Role.STAFF])]
        assert shown == [("a", {"n": 1}), ("b", {"n": 2})]
        head = [p.key for p, _ in registry.dashboard(users[Role.HEAD])]
        assert head == ["perm", "role", "a", "b"]
    # restored() puts back what the apps registered
    assert "assessment.grades" in registry._dashboard and "perm" not in registry._dashboard


# ---------------------------------------------------------------- grades


def test_city_staff_see_grades_by_county_with_links_to_the_filtered_results(client, users, tree, world):
    panels, html = _panels(client, users["city_staff"])
    chart = _chart(panels["assessment.grades"], "chart-grades-by-unit")
    assert chart["categories"] == ["甲县", "乙县"]
    excellent = _series(chart, "优秀")
    assert excellent["values"] == [2, 0]
    assert _series(chart, "基本称职")["values"] == [0, 1]
    assert _series(chart, "未评定")["values"] == [0, 1]
    url = (
        reverse("assessment:results", args=[world["published"].pk, tree["county_a"].pk])
        + "?grade=%E4%BC%98%E7%A7%80"
    )
    assert excellent["urls"][0] == url
    assert url.replace("&", "&amp;") in html  # the number in the table is a link too
    assert _series(chart, "未评定")["urls"][1].endswith("?grade=-")
    year = _chart(panels["assessment.grades"], "chart-grades-by-year")
    assert year["categories"] == [world["published"].name]
    assert _series(year, "优秀")["values"] == [40.0] and _series(year, "优秀")["counts"] == [2]
    # the data reaches the script through json_script, not inline code
    assert 'id="chart-grades-by-unit" type="application/json"' in html
    assert "vendor/echarts/echarts.min.js" in html and "js/dashboard.js" in html


def test_county_staff_see_only_their_county_split_by_town(client, users, tree, world):
    panels, _ = _panels(client, users[Role.STAFF])
    chart = _chart(panels["assessment.grades"], "chart-grades-by-unit")
    assert chart["categories"] == ["甲镇"]
    assert _series(chart, "优秀")["values"] == [2]
    assert "未评定" not in [s["name"] for s in chart["series"]]  # 乙镇's ungraded row is not theirs


def test_without_a_published_or_open_period_the_assessment_panels_stay_away(client, users, tree):
    panels, html = _panels(client, users["city_staff"])
    assert "assessment.grades" not in panels and "assessment.progress" not in panels


# ---------------------------------------------------------------- scoring progress


def test_scoring_progress_counts_sheets_missing_scores_and_imports(client, users, tree, world):
    panels, html = _panels(client, users[Role.STAFF])
    (table,) = panels["assessment.progress"]["tables"]
    (row,) = table["rows"]
    assert row["unit"] == tree["town_a"]
    # two sheets in; six on post (2025's three, 2026's two, one without a sheet; the retired one is
    # not expected), one complete: five missing
    assert (row["assessed"], row["complete"], row["missing"]) == (2, 1, 5)
    assert (row["committed"], row["invalid"], row["failed"]) == (1, 1, 1)
    period = world["open"].pk
    assert row["failed_url"] == f"{reverse('assessment:import_history')}?period={period}&status=failed"
    assert row["missing_url"] == reverse("assessment:results", args=[period, tree["town_a"].pk]) + "?grade=-"
    assert row["failed_url"].replace("&", "&amp;") in html


def test_city_staff_see_progress_per_county_with_an_empty_county_at_zero(client, users, tree, world):
    panels, _ = _panels(client, users["city_staff"])
    rows = {r["unit"].name: r for r in panels["assessment.progress"]["tables"][0]["rows"]}
    assert rows["甲县"]["missing"] == 5 and rows["乙县"]["assessed"] == 0
    # 乙县's two cadres of 2025 are on post and have no 2026 sheet
    assert rows["乙县"]["missing"] == 2


# ---------------------------------------------------------------- county admin


def test_county_admin_sees_progress_and_their_imports_with_errors_not_grades(client, users, tree, world):
    panels, html = _panels(client, users[Role.COUNTY_ADMIN])
    assert set(panels) >= {"assessment.progress", "assessment.imports"}
    assert "assessment.grades" not in panels and "supervision.yuetan" not in panels
    assert [r["unit"].name for r in panels["assessment.progress"]["tables"][0]["rows"]] == ["甲镇"]
    batches = panels["assessment.imports"]["batches"]
    assert len(batches) == 3
    invalid = next(b for b in batches if b.status == ImportStatus.INVALID)
    assert reverse("assessment:import_detail", args=[invalid.pk]) in html
    assert "2 处错误" in html


def test_a_county_admin_of_the_other_county_sees_none_of_these_imports(client, users, tree, world):
    other = make_user("admin_b", Role.COUNTY_ADMIN, tree["county_b"])
    panels, html = _panels(client, other)
    assert panels["assessment.imports"]["batches"] == []
    assert "还没有导入过评分表" in html
    rows = panels["assessment.progress"]["tables"][0]["rows"]
    assert [r["unit"].name for r in rows] == ["乙镇"] and rows[0]["committed"] == 0


# ---------------------------------------------------------------- the other apps' panels


def test_supervision_recall_and_work_order_figures_link_to_their_filtered_lists(client, users, tree):
    panels, html = _panels(client, users[Role.STAFF])
    yuetan = {s["key"]: s for s in panels["supervision.yuetan"]["stats"]}
    assert yuetan["yuetan-overdue"]["url"] == reverse("supervision:interviews") + "?kind=yuetan&overdue=on"
    states = _chart(panels["supervision.yuetan"], "chart-yuetan-states")
    assert (
        states["series"][0]["urls"][0] == reverse("supervision:interviews") + "?kind=yuetan&status=proposed"
    )
    recall = {s["key"]: s for s in panels["recall.pipeline"]["stats"]}
    assert recall["flags-open"]["url"] == reverse("recall:flags") + "?status=open"
    orders = {s["key"]: s for s in panels["workorders.orders"]["stats"]}
    assert orders["orders-overdue"]["url"] == reverse("workorders:home") + "?overdue=on"
    assert orders["orders-open"]["value"] == 0
    for stat in (*yuetan.values(), *recall.values(), *orders.values()):
        assert client.get(stat["url"]).status_code == 200, stat["url"]


def test_chart_data_is_valid_json_in_the_page(client, users, tree, world):
    _, html = _panels(client, users["city_staff"])
    start = html.index('id="chart-grades-by-year" type="application/json">') + len(
        'id="chart-grades-by-year" type="application/json">'
    )
    data = json.loads(html[start : html.index("</script>", start)])
    assert data["percent"] is True and data["stack"] is True


def test_incentive_decisions_of_the_newest_lists_pending_granted_declined(client, users, tree, world):
    import datetime

    from incentives.models import Decision
    from tests.factories import IncentiveEntryFactory

    period = world["published"]
    mine = [a.cadre for a in Assessment.objects.filter(period=period, unit=tree["town_a"])]
    for cadre in mine:
        IncentiveEntryFactory(period=period, cadre=cadre)
    IncentiveEntryFactory(period=period, cadre=mine[0], kind="bonus", eligible=False)
    other = Assessment.objects.filter(period=period, unit=tree["town_b"]).first().cadre
    IncentiveEntryFactory(period=period, cadre=other)  # 乙县's: not county staff's
    for cadre, verdict in ((mine[0], "granted"), (mine[1], "declined")):
        Decision.objects.create(
            period=period,
            cadre=cadre,
            unit=cadre.unit,
            kind="commendation",
            verdict=verdict,
            reason="理由",
            decided_by=users[Role.STAFF],
            decided_on=datetime.date(2026, 1, 5),
        )
    panels, html = _panels(client, users[Role.STAFF])
    stats = {s["key"]: s for s in panels["incentives.decisions"]["stats"]}
    assert (stats["incentives-pending"]["value"], stats["incentives-granted"]["value"]) == (1, 1)
    assert stats["incentives-declined"]["value"] == 1
    chart = _chart(panels["incentives.decisions"], "chart-incentive-decisions")
    assert chart["categories"] == ["评先选优"]  # the 绩效奖金 entry is left out: nothing to decide
    url = f"{reverse('incentives:lists')}?period={period.pk}&kind=commendation&decided=no"
    assert _series(chart, "待决定")["urls"] == [url]
    assert client.get(url).status_code == 200
    city = {
        s["key"]: s["value"] for s in _panels(client, users["city_staff"])[0]["incentives.decisions"]["stats"]
    }
    assert city["incentives-pending"] == 2
