"""A scheme indicator scored from 民情工单, through the database: the recomputation tallies each
assessed cadre's rounds dispatched in the period (the first and last day counted, the days around
not), writes the computed score into the assessment with the explanation, changes nothing on a
second run, and a change of rounds queues the recomputation of the open periods that use it."""

import datetime

import pytest

from accounts.roles import Role
from assessment.models import Assessment, Indicator, IndicatorSource, Period, PeriodStatus
from assessment.services.recompute import period_recompute
from cadres.models import UnitKind
from core.models import Job
from tests.factories import CadreFactory, make_period, make_user, unit_child, unit_root
from workorders.models import Cause, Dispatch, OrderStatus, Rating, WorkOrder
from workorders.score_source import orders_changed, scoring_periods, tallies

pytestmark = pytest.mark.django_db
D = datetime.date
SCORES = {"德": 90, "能": 90, "勤": 90, "绩": 90, "廉": 90}


@pytest.fixture
def world():
    city = unit_root()
    county = unit_child(city, "C0101", "城关县")
    village = unit_child(county, "V01", "光明社区", kind=UnitKind.VILLAGE)
    other = unit_child(city, "C0102", "河西县")
    user = make_user("wo_staff", Role.STAFF, city)
    return {"city": city, "county": county, "village": village, "other": other, "user": user}


def sourced_period(year=2025, quarter=None, status=PeriodStatus.COLLECTING) -> Period:
    """A period whose 民主测评 (a quarter's only indicator, 得分) is scored from 民情工单."""
    period = make_period(year=year, quarter=quarter, status=status)
    code = "得分" if quarter else "民主测评"
    Indicator.objects.filter(scheme__period=period, code=code).update(source=IndicatorSource.WORKORDERS)
    return period


def rounds(world, cadre, days, *, handled=True, on_time=True, rating=Rating.SATISFIED, cause="", score=None):
    """One order and its round per day, dispatched that day, as the step services leave them."""
    for day in days:
        order = WorkOrder.objects.create(
            number=f"T{WorkOrder.objects.count() + 1:06d}",
            unit=world["village"],
            channel="wall",
            title="路灯不亮",
            resident_name="居民",
            recorded_on=day,
            dispatch_due=day + datetime.timedelta(days=3),
            status=OrderStatus.CLOSED if rating and rating != Rating.UNSATISFIED else OrderStatus.HANDLED,
            closed_on=day + datetime.timedelta(days=5) if rating and rating != Rating.UNSATISFIED else None,
            recorded_by=world["user"],
        )
        Dispatch.objects.create(
            order=order,
            cadre=cadre,
            dispatched_on=day,
            dispatched_by=world["user"],
            accepted_on=day,
            promised_on=day + datetime.timedelta(days=3),
            handled_on=(day + datetime.timedelta(days=2 if on_time else 4)) if handled else None,
            rating=rating if handled else "",
            cause=cause,
            score=score,
        )


def test_tallies_count_the_rounds_dispatched_from_the_first_to_the_last_day(world):
    cadre = CadreFactory(unit=world["village"])
    rounds(world, cadre, [D(2024, 12, 31), D(2025, 1, 1), D(2025, 12, 31), D(2026, 1, 1)])
    tally = tallies(D(2025, 1, 1), D(2025, 12, 31), [cadre.pk])[cadre.pk]
    assert (tally.count, tally.on_time, tally.satisfied) == (2, 2, 2)


def test_tallies_tell_late_unrated_objective_and_own_fault_apart(world):
    cadre = CadreFactory(unit=world["village"])
    rounds(world, cadre, [D(2025, 3, 1)], on_time=False, rating=Rating.BASIC, score=80)
    rounds(world, cadre, [D(2025, 3, 2)], rating=Rating.UNSATISFIED, cause=Cause.OBJECTIVE)
    rounds(world, cadre, [D(2025, 3, 3)], rating=Rating.UNSATISFIED, cause=Cause.CADRE)
    rounds(world, cadre, [D(2025, 3, 4)], handled=False)
    t = tallies(D(2025, 1, 1), D(2025, 12, 31), [cadre.pk])[cadre.pk]
    assert (t.count, t.completed, t.on_time, t.basic, t.objective, t.unsatisfied, t.rated) == (
        4,
        3,
        2,
        1,
        1,
        1,
        3,
    )
    assert (t.score_sum, t.scored) == (80, 1)


def test_the_recomputation_writes_the_computed_score_and_its_explanation(world):
    period = sourced_period()
    cadre = CadreFactory(unit=world["village"])
    idle = CadreFactory(unit=world["village"])
    rounds(world, cadre, [D(2025, 2, d) for d in range(1, 13)])  # 12 on time, 满意
    Dispatch.objects.filter(dispatched_on=D(2025, 2, 12)).update(handled_on=D(2025, 2, 20))  # one late
    Dispatch.objects.filter(dispatched_on__in=[D(2025, 2, 10), D(2025, 2, 11)]).update(rating=Rating.BASIC)
    for c in (cadre, idle):
        Assessment.objects.create(
            period=period, cadre=c, unit=world["village"], scores={**SCORES, "民主测评": 10}
        )

    first = period_recompute(period_id=period.pk)

    a = Assessment.objects.get(period=period, cadre=cadre)
    # on time 11/12 = 91.67; satisfaction (10 × 100 + 2 × 80) / 12 = 96.67; mean 94.17 → 94.2
    assert a.scores["民主测评"] == 94.2
    facts = [e["facts"] for e in a.explanation if e["rule"] == "民情工单计分"]
    assert facts == [
        "民情工单 12 件，按期办结 11 件，满意 10 件、基本满意 2 件 → 民主测评 94.2"
        "（按期办结率 91.67%×50% + 满意度 96.67×50%）"
    ]
    # 90 × 85 % + 94.2 × 15 % = 90.63
    assert str(a.total_score) == "90.63"
    b = Assessment.objects.get(period=period, cadre=idle)
    assert "民主测评" not in b.scores  # the typed 10 is not a work-order score
    assert b.total_score is None
    assert any(e["facts"] == "本期无民情工单，按规则不计分" for e in b.explanation)
    assert first["changed"] == 2
    assert period_recompute(period_id=period.pk)["changed"] == 0


def test_a_quarterly_period_counts_its_own_quarter_only(world):
    period = sourced_period(quarter=2)
    cadre = CadreFactory(unit=world["village"])
    rounds(world, cadre, [D(2025, 3, 31), D(2025, 4, 1), D(2025, 6, 30), D(2025, 7, 1)], on_time=False)
    Assessment.objects.create(period=period, cadre=cadre, unit=world["village"], scores={})
    period_recompute(period_id=period.pk)
    a = Assessment.objects.get(period=period, cadre=cadre)
    assert [e["facts"].split("（")[0] for e in a.explanation if e["rule"] == "民情工单计分"] == [
        "民情工单 2 件，按期办结 0 件，满意 2 件 → 得分 50.0"
    ]
    assert (a.scores, a.final_grade) == ({"得分": 50}, "较差")


def test_a_period_without_such_an_indicator_reads_no_orders(world):
    period = make_period()
    cadre = CadreFactory(unit=world["village"])
    rounds(world, cadre, [D(2025, 2, 1)])
    Assessment.objects.create(
        period=period, cadre=cadre, unit=world["village"], scores={**SCORES, "民主测评": 80}
    )
    period_recompute(period_id=period.pk)
    a = Assessment.objects.get(period=period, cadre=cadre)
    assert a.scores["民主测评"] == 80
    assert not any(e["rule"] == "民情工单计分" for e in a.explanation)


def test_changed_rounds_queue_the_open_periods_that_score_orders(world):
    sourced = sourced_period()
    plain = make_period(year=2024)
    sourced_period(year=2023, status=PeriodStatus.PUBLISHED)  # closed: not followed
    cadre = CadreFactory(unit=world["village"])
    assert list(scoring_periods()) == [sourced]
    jobs = orders_changed(cadres=[cadre], actor=world["user"])
    assert [(j.params["period"], j.params["unit_path"]) for j in jobs] == [
        (sourced.pk, world["village"].path)
    ]
    assert not Job.objects.filter(params__period=plain.pk).exists()
