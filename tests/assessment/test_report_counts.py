"""``grade-reports/`` reuses a subtree's row counts per unit, and each unit's ids in report
order, for ``GRADE_REPORT_COUNT_SECONDS`` (``reports.UnitCounts``, ``reports.UnitOrders``):
counted and sorted once for many pages, again exactly when that many seconds have passed, kept
apart per period, subtree or unit and filters, bounded in size; the rows of a page are always
read afresh, and a page whose kept ids went stale is read again from a fresh sort."""

# ruff: noqa: F811 (the ``report`` fixture is imported, and pytest hands it to the tests by name)

import pytest

from accounts.roles import Role
from assessment import reports
from assessment.models import Assessment
from tests.assessment.test_api import api
from tests.assessment.test_grade_reports import report  # noqa: F401 (fixture)
from tests.factories import CadreFactory

URL = "/api/v1/grade-reports/"
SECONDS = 5


class Clock:
    def __init__(self, monkeypatch):
        self.now = 1000.0
        monkeypatch.setattr(reports.time, "monotonic", lambda: self.now)


@pytest.fixture
def reuse(settings, monkeypatch):
    settings.GRADE_REPORT_COUNT_SECONDS = SECONDS
    reports.unit_counts.clear()
    reports.unit_orders.clear()
    clock = Clock(monkeypatch)
    calls = []
    real = reports.report_units

    def counted(*args):
        calls.append(args[1:])
        return real(*args)

    monkeypatch.setattr(reports, "report_units", counted)
    yield clock, calls
    reports.unit_counts.clear()
    reports.unit_orders.clear()


def page(client, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_pages_reuse_the_count_until_exactly_the_setting_has_passed(users, report, tree, reuse):
    clock, calls = reuse
    client = api(users["city_staff"])
    query = f"period={report.pk}&page_size=2"
    assert page(client, query)["count"] == 7
    newcomer = CadreFactory(unit=tree["town_b"], name="新人")
    Assessment.objects.create(period=report, cadre=newcomer, unit=tree["town_b"])
    clock.now += SECONDS - 0.001
    assert page(client, query + "&page=2")["count"] == 7  # reused: lags the write
    assert len(calls) == 1
    clock.now += 0.001  # exactly SECONDS after the count
    assert page(client, query)["count"] == 8
    assert len(calls) == 2


def test_the_rows_of_a_page_are_read_afresh_while_the_count_is_reused(users, report, reuse):
    from assessment.services.scores import assessment_override

    client = api(users["city_staff"])
    query = f"period={report.pk}&page_size=10"
    before = {r["name"]: r["grade"] for r in page(client, query)["results"]}
    assert before["李四"] != "优秀"
    target = Assessment.objects.get(period=report, cadre__name="李四")
    assessment_override(actor=users["city_staff"], assessment=target, grade="优秀", reason="复核后调整")
    after = {r["name"]: r["grade"] for r in page(client, query)["results"]}
    assert after["李四"] == "优秀"


def test_counts_are_kept_apart_per_subtree_and_filter(users, report, tree, reuse):
    _clock, calls = reuse
    client = api(users["city_staff"])
    assert page(client, f"period={report.pk}")["count"] == 7
    assert page(client, f"period={report.pk}&unit={tree['town_b'].pk}")["count"] == 1
    assert page(client, f"period={report.pk}&grade=优秀")["count"] == 1
    assert page(client, f"period={report.pk}&grade=优秀")["count"] == 1
    assert len(calls) == 3


def test_a_reader_of_another_scope_gets_its_own_count(users, report, reuse):
    from accounts.roles import Role

    assert page(api(users["city_staff"]), f"period={report.pk}")["count"] == 7
    assert page(api(users[Role.STAFF]), f"period={report.pk}")["count"] == 6  # 甲县 only


def test_zero_counts_every_page(settings, users, report, reuse):
    _clock, calls = reuse
    settings.GRADE_REPORT_COUNT_SECONDS = 0
    client = api(users["city_staff"])
    page(client, f"period={report.pk}")
    page(client, f"period={report.pk}")
    assert len(calls) == 2


def test_at_most_size_answers_are_kept_the_oldest_dropped_first(users, report, reuse, monkeypatch):
    _clock, calls = reuse
    monkeypatch.setattr(reports.unit_counts, "size", 2)
    client = api(users["city_staff"])
    for grade in ("优秀", "称职", "基本称职"):
        page(client, f"period={report.pk}&grade={grade}")
    assert len(calls) == 3
    page(client, f"period={report.pk}&grade=基本称职")  # the newest: kept
    assert len(calls) == 3
    page(client, f"period={report.pk}&grade=优秀")  # the oldest: dropped
    assert len(calls) == 4


# ---------------------------------------------------------------- the ids of each unit in order


@pytest.fixture
def sorts(reuse, monkeypatch):
    """The units sorted by ``unit_row_ids`` (one list per call)."""
    done = []
    real = reports.unit_row_ids

    def sorted_ids(period, unit_ids, filters):
        done.append(list(unit_ids))
        return real(period, unit_ids, filters)

    monkeypatch.setattr(reports, "unit_row_ids", sorted_ids)
    return done


def names(body) -> list[str]:
    return [r["name"] for r in body["results"]]


def test_a_units_ids_are_sorted_once_for_its_pages_until_exactly_the_setting(
    users, report, tree, reuse, sorts
):
    clock, _calls = reuse
    client = api(users["city_staff"])
    town = f"period={report.pk}&unit={tree['town_a'].pk}&page_size=2"  # 甲镇: 张三 and 甲0–甲3
    assert names(page(client, town)) == ["张三", "甲0"]
    assert names(page(client, town + "&page=2")) == ["甲1", "甲2"]
    assert names(page(client, town + "&page=3")) == ["甲3"]
    assert sorts == [[tree["town_a"].pk]]
    clock.now += SECONDS - 0.001
    page(client, town)
    assert len(sorts) == 1
    clock.now += 0.001
    page(client, town)
    assert len(sorts) == 2


def test_a_kept_page_with_a_row_gone_is_read_again_whole(users, report, tree, reuse, sorts):
    client = api(users["city_staff"])
    town = f"period={report.pk}&unit={tree['town_a'].pk}&page_size=2"
    assert names(page(client, town + "&page=2")) == ["甲1", "甲2"]
    Assessment.objects.filter(period=report, cadre__name="甲1").delete()
    # the count still says 5 (kept), but the page has no hole: the ids were sorted again
    assert names(page(client, town + "&page=2")) == ["甲2", "甲3"]
    assert len(sorts) == 2


def test_a_kept_page_never_shows_a_row_that_left_the_filter(users, report, tree, reuse, sorts):
    from assessment.services.scores import assessment_override

    client = api(users["city_staff"])
    query = f"period={report.pk}&grade=称职&page_size=10"
    before = names(page(client, query))
    assert "甲2" in before
    target = Assessment.objects.get(period=report, cadre__name="甲2")
    assessment_override(actor=users["city_staff"], assessment=target, grade="优秀", reason="复核后调整")
    after = names(page(client, query))
    assert "甲2" not in after and set(after) == set(before) - {"甲2"}


def test_a_kept_row_moved_out_of_the_unit_is_not_shown_there(users, report, tree, reuse, sorts):
    client = api(users[Role.COUNTY_ADMIN])  # 甲县 and below
    town = f"period={report.pk}&unit={tree['town_a'].pk}&page_size=10"
    assert "甲1" in names(page(client, town))
    Assessment.objects.filter(period=report, cadre__name="甲1").update(unit=tree["town_b"])  # 乙县's
    shown = names(page(client, town))
    assert "甲1" not in shown and shown == ["张三", "甲0", "甲2", "甲3"]
    assert len(sorts) == 2


def test_ids_are_kept_apart_per_unit_and_filter(users, report, tree, reuse, sorts):
    client = api(users["city_staff"])
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}")
    page(client, f"period={report.pk}&unit={tree['town_b'].pk}")
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}&grade=称职")
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}&grade=称职")
    assert sorts == [[tree["town_a"].pk], [tree["town_b"].pk], [tree["town_a"].pk]]
    page(client, f"period={report.pk}")  # 甲县, 甲镇 and 乙镇: only 甲县 is sorted now
    assert sorts[-1] == [tree["county_a"].pk]


def test_at_most_max_ids_are_kept_the_oldest_unit_dropped_first(
    users, report, tree, reuse, sorts, monkeypatch
):
    monkeypatch.setattr(reports.unit_orders, "max_ids", 5)
    client = api(users["city_staff"])
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}")  # 5 ids: at the bound, kept
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}")
    assert len(sorts) == 1
    page(client, f"period={report.pk}&unit={tree['town_b'].pk}")  # 1 more: 甲镇 dropped
    page(client, f"period={report.pk}&unit={tree['town_b'].pk}")
    assert len(sorts) == 2
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}")
    assert len(sorts) == 3


def test_with_zero_every_page_sorts_its_units(settings, users, report, tree, reuse, sorts):
    settings.GRADE_REPORT_COUNT_SECONDS = 0
    client = api(users["city_staff"])
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}")
    page(client, f"period={report.pk}&unit={tree['town_a'].pk}")
    assert len(sorts) == 2
