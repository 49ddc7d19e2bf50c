"""Work-order statistics (``workorders.statistics.order_statistics``), their page, xlsx and API:
[003]'s tallies entered as a ledger come back out; the range, the dispatch deadline and the scope
at their edges."""

import datetime
import io
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from cadres.models import UnitKind
from tests.factories import CadreFactory, make_period, make_user, unit_child, unit_root
from tests.scope.conftest import token_client
from workorders import services
from workorders.services_ledger import orders_ledger_record
from workorders.statistics import order_statistics


class W:
    pass


@pytest.fixture
def w(db):
    city = unit_root()
    county = unit_child(city, "C01A", "甲县", UnitKind.COUNTY)
    town = unit_child(county, "C01A01", "城关镇", UnitKind.TOWNSHIP)
    w = W()
    w.county, w.town = county, town
    w.east = unit_child(town, "C01A0101", "东门社区", UnitKind.VILLAGE)
    w.west = unit_child(town, "C01A0102", "西门社区", UnitKind.VILLAGE)
    w.other = unit_child(city, "C01B", "乙县", UnitKind.COUNTY)
    w.staff = make_user("town_staff", Role.STAFF, town)
    w.county_staff = make_user("county_staff", Role.STAFF, county)
    w.east_cadre = CadreFactory(unit=w.east, name="张东")
    w.west_cadre = CadreFactory(unit=w.west, name="李西")
    return w


# ------------------------------------------------------------------ [003]: 4848 / 4263 / above 95

# [003] 舟山: 截至2015年底，出具民情工单4848份，办结4263份，群众评价平均得分达95分以上.
ISSUED, COMPLETED = 4848, 4263
# The plan of the 4848 orders, by position: (how many, rating, score, closed).
PLAN = [
    (3800, "满意", None, True),  # scores 100, 98, 95, 97 in turn: 97.5 on average
    (400, "基本满意", 85, True),
    (63, "不满意", 55, True),  # 回访: objective cause, explained and closed
    (40, "不满意", 50, False),  # awaiting the follow-up
    (200, None, None, False),  # handled, not yet rated
    (150, "accepted", None, False),
    (120, "dispatched", None, False),
    (75, "recorded", None, False),
]
# (950 × (100 + 98 + 95 + 97) + 400 × 85 + 63 × 55 + 40 × 50) / 4303 rated rounds = 95.2742...
AVERAGE = Decimal("95.27")


def ledger_rows(cadre_a, cadre_b):
    """The 4848 orders as two communities' ledgers (even positions east, odd west). Every tenth
    order is dispatched two days after its deadline; every twentieth is handled after its promise."""
    start = datetime.date(2014, 1, 1)
    day = datetime.timedelta(days=1)
    rows = {cadre_a.unit_id: [], cadre_b.unit_id: []}
    i = 0
    for count, rating, score, closed in PLAN:
        for _ in range(count):
            cadre = cadre_a if i % 2 == 0 else cadre_b
            recorded = start + (i % 720) * day
            row = {"channel": "民心墙", "title": f"第{i}号需求", "recorded_on": recorded.isoformat()}
            dispatched = recorded + (5 if i % 10 == 0 else 1) * day
            accepted = dispatched
            if rating != "recorded":
                row.update(cadre=cadre.pk, dispatched_on=dispatched.isoformat())
            if rating not in ("recorded", "dispatched"):
                row.update(accepted_on=accepted.isoformat(), promised_on=(accepted + 7 * day).isoformat())
            if rating not in ("recorded", "dispatched", "accepted"):
                row.update(
                    handled_on=(accepted + (9 if i % 20 == 0 else 3) * day).isoformat(), handling="已办"
                )
            if rating in ("满意", "基本满意", "不满意"):
                row.update(rating=rating, score=score if score is not None else (100, 98, 95, 97)[i % 4])
                if rating == "不满意" and closed:
                    row.update(closed=True, explanation="属客观原因，已解释说明")
            rows[cadre.unit_id].append(row)
            i += 1
    return rows


def test_the_ledger_of_003_is_reported_as_4848_issued_4263_completed_average_above_95(w, clock, client):
    clock.set("2016-01-10")
    rows = ledger_rows(w.east_cadre, w.west_cadre)
    for unit in (w.east, w.west):
        orders_ledger_record(actor=w.staff, unit=unit, rows=rows[unit.pk])
    # the oracle: what the rows say, counted here in Python
    flat = [r for unit_rows in rows.values() for r in unit_rows]
    late = sum(1 for r in flat if "dispatched_on" in r and int(r["title"][1:-3]) % 10 == 0)
    within = sum(1 for r in flat if r.get("rating") and (r["rating"] != "不满意" or r.get("closed"))
                 and int(r["title"][1:-3]) % 20 != 0)  # fmt: skip

    stats = order_statistics(
        w.staff, unit=w.town, date_from=datetime.date(2014, 1, 1), date_to=datetime.date(2015, 12, 31)
    )

    total = stats["total"]
    assert (total["issued"], total["completed"]) == (ISSUED, COMPLETED)
    assert total["average_score"] == AVERAGE > 95
    assert total["completion_rate"] == Decimal("87.9")  # 4263 / 4848
    assert (total["dispatched_late"], total["not_dispatched"]) == (late, 75)
    assert total["dispatched_on_time"] == ISSUED - 75 - late
    assert total["completed_within_promise"] == within
    assert (total["rated"], total["satisfied"], total["basic"], total["unsatisfied"]) == (
        4303,
        3800,
        400,
        103,
    )
    assert total["satisfaction_rate"] == Decimal("97.6")  # 4200 / 4303
    assert total["redispatched"] == 0
    assert [(r["name"], r["issued"]) for r in stats["units"]] == [("东门社区", 2424), ("西门社区", 2424)]
    assert sum(r["completed"] for r in stats["units"]) == COMPLETED

    # the page, its workbook and the API say the same
    client.force_login(w.staff)
    query = {"unit": w.town.pk, "from": "2014-01-01", "to": "2015-12-31"}
    page = client.get(reverse("workorders:statistics"), query)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="issued">4848<' in html and 'data-testid="completed">4263<' in html
    assert 'data-testid="average-score">95.27<' in html
    assert "城关镇民情工单统计（2014年01月01日至2015年12月31日）" in html
    export = client.get(reverse("workorders:statistics_export"), query)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[4]]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[0] == "合计"
    assert last[header.index("点单（件）")] == 4848 and last[header.index("办结（件）")] == 4263
    assert last[header.index("平均得分")] == 95.27
    api = token_client(w.staff).get(
        "/api/v1/work-order-statistics/", {"unit": w.town.code, "from": "2014-01-01", "to": "2015-12-31"}
    )
    assert api.status_code == 200
    body = api.json()
    assert (body["total"]["issued"], body["total"]["completed"]) == (4848, 4263)
    assert body["total"]["average_score"] == 95.27
    assert [u["issued"] for u in body["units"]] == [2424, 2424]


# ------------------------------------------------------------------ edges


@pytest.fixture
def march(w, clock):
    """Orders around March 2026 (the range), through the step services."""
    clock.set("2026-04-20")
    s = w.staff

    def record(unit, day):
        return services.order_record(
            actor=s, unit=unit, channel="wall", title="修路灯", resident_name="王大妈", recorded_on=day
        )

    d = datetime.date
    w.before = record(w.east, d(2026, 2, 28))
    w.first = record(w.east, d(2026, 3, 1))
    services.order_dispatch(
        actor=s, order=w.first, cadre=w.east_cadre, dispatched_on=d(2026, 3, 4)
    )  # due day
    w.last = record(w.east, d(2026, 3, 31))
    services.order_dispatch(
        actor=s, order=w.last, cadre=w.east_cadre, dispatched_on=d(2026, 4, 4)
    )  # a day late
    w.after = record(w.east, d(2026, 4, 1))
    # 不满意 on the first round (the cadre's fault), re-dispatched, 满意 on the second, handled late
    o = w.twice = record(w.west, d(2026, 3, 15))
    services.order_dispatch(actor=s, order=o, cadre=w.west_cadre, dispatched_on=d(2026, 3, 16))
    services.order_accept(actor=s, order=o, accepted_on=d(2026, 3, 16), promised_on=d(2026, 3, 20))
    services.order_handle(actor=s, order=o, handled_on=d(2026, 3, 19), handling="已修")
    services.order_rate(actor=s, order=o, rating="unsatisfied", rated_on=d(2026, 3, 19), score=40)
    services.order_followup(actor=s, order=o, followup_on=d(2026, 3, 20), reason="又坏了", cause="cadre")
    services.order_dispatch(actor=s, order=o, cadre=w.east_cadre, dispatched_on=d(2026, 3, 21))
    services.order_accept(actor=s, order=o, accepted_on=d(2026, 3, 21), promised_on=d(2026, 3, 25))
    services.order_handle(actor=s, order=o, handled_on=d(2026, 3, 26), handling="更换线路")
    services.order_rate(actor=s, order=o, rating="satisfied", rated_on=d(2026, 3, 27), score=100)
    return w


def figures(user, unit=None, **range_):
    return order_statistics(user, unit=unit, **range_)["total"]


def test_the_first_and_last_day_of_the_range_count_the_days_around_them_do_not(march):
    w = march
    total = figures(w.staff, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31))
    assert total["issued"] == 3  # 3-01, 3-15, 3-31; not 2-28 nor 4-01
    narrower = figures(w.staff, date_from=datetime.date(2026, 3, 2), date_to=datetime.date(2026, 3, 30))
    assert narrower["issued"] == 1


def test_dispatched_on_the_deadline_is_on_time_the_day_after_is_late(march):
    w = march
    total = figures(w.staff, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31))
    # 3-01 dispatched 3-04 (its deadline) and 3-15 dispatched 3-16: on time; 3-31 dispatched 4-04: late
    assert (total["dispatched_on_time"], total["dispatched_late"], total["not_dispatched"]) == (2, 1, 0)
    only_last = figures(w.staff, date_from=datetime.date(2026, 3, 31), date_to=datetime.date(2026, 3, 31))
    assert (only_last["dispatched_on_time"], only_last["dispatched_late"]) == (0, 1)
    only_first = figures(w.staff, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 1))
    assert (only_first["dispatched_on_time"], only_first["dispatched_late"]) == (1, 0)


def test_a_redispatched_order_counts_each_rated_round_and_its_final_promise(march):
    w = march
    total = figures(w.staff, date_from=datetime.date(2026, 3, 15), date_to=datetime.date(2026, 3, 15))
    assert total["issued"] == total["completed"] == total["redispatched"] == 1
    assert (total["rated"], total["satisfied"], total["unsatisfied"]) == (2, 1, 1)
    assert total["average_score"] == Decimal("70.00") and total["satisfaction_rate"] == Decimal("50.0")
    # the first round was handled within its promise, the final one was not
    assert total["completed_within_promise"] == 0


def test_the_rows_are_the_child_units_with_their_own_figures(march):
    w = march
    stats = order_statistics(
        w.staff, unit=w.town, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
    )
    assert [(r["name"], r["issued"], r["completed"]) for r in stats["units"]] == [
        ("东门社区", 2, 0),
        ("西门社区", 1, 1),
    ]
    # the county's report: one row for the town, holding all three
    county = order_statistics(
        w.county_staff, unit=w.county, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
    )
    assert [(r["name"], r["issued"]) for r in county["units"]] == [("城关镇", 3)]


def test_an_assessment_period_gives_its_bounds(march):
    w = march
    q1 = make_period(year=2026, quarter=1)
    stats = order_statistics(w.staff, period=q1)
    assert (stats["date_from"], stats["date_to"]) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert stats["total"]["issued"] == 4  # 2-28 counts in the quarter, 4-01 does not
    answer = token_client(w.staff).get("/api/v1/work-order-statistics/", {"period": q1.pk}).json()
    assert answer["total"]["issued"] == 4 and answer["period"]["name"] == q1.name


def test_a_unit_one_level_above_the_scope_is_refused(march, client):
    w = march
    with pytest.raises(Http404):
        order_statistics(
            w.staff, unit=w.county, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
        )
    api = token_client(w.staff)
    for unit in (w.county.pk, w.county.code):
        refused = api.get("/api/v1/work-order-statistics/", {"unit": unit})
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    client.force_login(w.staff)
    assert client.get(reverse("workorders:statistics"), {"unit": w.county.pk}).status_code == 404
    assert client.get(reverse("workorders:statistics_export"), {"unit": w.county.pk}).status_code == 404
    # one level below is the user's own subtree
    assert api.get("/api/v1/work-order-statistics/", {"unit": w.east.pk}).status_code == 200


def test_bad_parameters_are_a_400_with_chinese_messages(w, client):
    api = token_client(w.staff)
    answer = api.get("/api/v1/work-order-statistics/", {"from": "2026-03-31", "to": "2026-03-01"})
    assert answer.status_code == 400 and answer.json()["error"]["fields"]["to"] == [
        "结束日期不能早于开始日期。"
    ]
    answer = api.get("/api/v1/work-order-statistics/", {"from": "2026-13-01", "to": "2026-03-01"})
    assert answer.json()["error"]["fields"]["from"] == ["开始日期格式不正确，应为 YYYY-MM-DD。"]
    answer = api.get("/api/v1/work-order-statistics/", {"from": "2026-03-01"})
    assert answer.json()["error"]["fields"]["to"] == ["按起止日期统计时，请同时填写开始日期和结束日期。"]
    client.force_login(w.staff)
    page = client.get(reverse("workorders:statistics"), {"period": "999999"})
    assert page.status_code == 200 and "考核期不存在。" in page.content.decode()
    assert client.get(reverse("workorders:statistics_export"), {"period": "999999"}).status_code == 400


def test_the_figures_cost_two_queries_however_many_orders(w, clock, django_assert_num_queries):
    clock.set("2016-01-10")
    rows = ledger_rows(w.east_cadre, w.west_cadre)
    for n in (10, 400):
        orders_ledger_record(actor=w.staff, unit=w.east, rows=rows[w.east.pk][:n])
        # the grouped figures (orders joined to their rounds), the rows' units
        with django_assert_num_queries(2):
            stats = order_statistics(
                w.staff, unit=w.town, date_from=datetime.date(2014, 1, 1), date_to=datetime.date(2015, 12, 31)
            )
    assert stats["total"]["issued"] == 410


def test_the_page_without_parameters_reports_this_year_for_the_users_unit(march, client):
    w = march
    client.force_login(w.staff)
    html = client.get(reverse("workorders:statistics")).content.decode()
    assert "城关镇民情工单统计（2026年）" in html
    assert 'data-testid="issued">5<' in html  # every order recorded in 2026
    assert "东门社区" in html and "西门社区" in html and "table-responsive" in html
