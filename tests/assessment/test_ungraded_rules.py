"""Who is not graded, and why, with the database: the registry facts entered through their
services (probation end, leave records, investigations, sanctions) and the grades and unit quotas
``period_recompute`` writes. Each rule at its edge, firing and not: probation to Dec 31 / Dec 30;
leave of exactly half a year and one day more (2024: 366 days, 2025: 365); leave kinds as the
policy counts them; the effect and the quota base as the policy says; an investigation open,
closed without sanction, closed with a 记过. (The engine alone: test_grading_ungraded.py.)"""

import datetime

import pytest

from accounts.roles import Role
from assessment.models import Assessment, Grade, UnitQuota
from assessment.services.policy import policy_rule_save
from assessment.services.recompute import period_recompute
from cadres.models import LeaveRecord
from cadres.services import cadre_update
from cadres.services_leaves import leave_create
from supervision.services.investigations import investigation_close, investigation_open
from supervision.services.sanctions import sanction_create
from tests.factories import CadreFactory, make_period

D = datetime.date
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set("2026-06-15")


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def town(tree):
    return tree["town_a"]


def unit_of(town, n: int, year: int, first: int = 99):
    """An open annual period of ``year`` and ``n`` cadres of ``town`` scoring ``first``,
    ``first - 1`` ... on every indicator (from 99 down: all above the 优秀 line of 90 for n ≤ 10)."""
    period = make_period(year=year, status="grading")
    cadres = []
    for i in range(n):
        cadre = CadreFactory(unit=town, name=f"干部{i}")
        Assessment.objects.create(
            period=period, cadre=cadre, unit=town, scores=dict.fromkeys(CODES, first - i)
        )
        cadres.append(cadre)
    return period, cadres


def regrade(period) -> dict[int, Assessment]:
    period_recompute(period_id=period.pk)
    return {a.cadre_id: a for a in Assessment.objects.filter(period=period)}


def rules(assessment) -> dict[str, str]:
    return {e["rule"]: e["facts"] for e in assessment.explanation}


def leave(staff, cadre, start, days, kind="sick"):
    return leave_create(
        actor=staff,
        cadre=cadre,
        kind=kind,
        start_date=start,
        end_date=start + datetime.timedelta(days=days - 1),
    )


# ---------------------------------------------------------------- probation


@pytest.mark.parametrize(
    ("ends", "grade", "code"),
    [(D(2025, 12, 31), Grade.UNDETERMINED, 5), (D(2025, 12, 30), Grade.COMPETENT, 2)],
)
def test_probation_to_the_last_day_of_the_year_keeps_the_grade_undetermined(staff, town, ends, grade, code):
    period, (cadre,) = unit_of(town, 1, 2025, first=85)
    cadre_update(actor=staff, cadre=cadre, probation_end=ends)
    graded = regrade(period)[cadre.pk]
    assert (graded.final_grade, graded.grade_code) == (grade, code)
    if grade == Grade.UNDETERMINED:
        assert "试用期至 2025-12-31，考核年度末（2025-12-31）仍在试用期内" in rules(graded)["试用期"]
    else:
        assert "试用期" not in rules(graded)


def test_a_cadre_on_probation_takes_no_excellent_place_and_leaves_the_base(staff, town):
    period, cadres = unit_of(town, 10, 2025)
    before = regrade(period)
    assert [before[c.pk].final_grade for c in cadres[:3]] == [
        Grade.EXCELLENT,
        Grade.EXCELLENT,
        Grade.COMPETENT,
    ]
    assert UnitQuota.objects.get(period=period, unit=town).places == 2  # floor(10 × 20%)

    cadre_update(actor=staff, cadre=cadres[0], probation_end=D(2026, 3, 31))
    after = regrade(period)
    assert [after[c.pk].final_grade for c in cadres[:3]] == [
        Grade.UNDETERMINED,
        Grade.EXCELLENT,
        Grade.COMPETENT,
    ]
    quota = UnitQuota.objects.get(period=period, unit=town)
    # 9 assessed, floor(9 × 20%) = 1 place, and the one on probation is named as left out
    assert (quota.assessed, quota.excluded, quota.places, quota.awarded) == (9, {"试用期": 1}, 1, 1)


# ---------------------------------------------------------------- long leave


@pytest.mark.parametrize(
    ("year", "days", "fired"),
    [(2024, 183, False), (2024, 184, True), (2025, 182, False), (2025, 183, True)],
)
def test_leave_over_half_the_year_means_not_assessed(staff, town, year, days, fired):
    period, (cadre,) = unit_of(town, 1, year, first=85)
    leave(staff, cadre, D(year, 1, 1), days)
    graded = regrade(period)[cadre.pk]
    if fired:
        assert (graded.final_grade, graded.grade_code) == (Grade.NOT_ASSESSED, 6)
        year_days = 366 if year == 2024 else 365
        assert rules(graded)["长期请假"] == (
            f"考核年度内请假累计 {days} 天（病假 {days} 天），超过全年 {year_days} 天的 1/2"
        )
    else:
        assert (graded.final_grade, graded.grade_code) == (Grade.COMPETENT, 2)
        assert "长期请假" not in rules(graded)


def test_only_the_days_inside_the_year_count(staff, town):
    period, (cadre,) = unit_of(town, 1, 2025, first=85)
    # from September 2024: 181 days of it fall in 2025
    long = leave_create(
        actor=staff, cadre=cadre, kind="sick", start_date=D(2024, 9, 1), end_date=D(2025, 6, 30)
    )
    assert regrade(period)[cadre.pk].final_grade == Grade.COMPETENT
    long.end_date = D(2025, 7, 2)  # 183 days of 2025
    long.save()
    assert regrade(period)[cadre.pk].final_grade == Grade.NOT_ASSESSED


def test_a_leave_still_running_counts_to_the_end_of_the_year(staff, town):
    period, (cadre,) = unit_of(town, 1, 2025, first=85)
    leave_create(actor=staff, cadre=cadre, kind="other", start_date=D(2025, 7, 2), end_date=None)  # 183 days
    assert regrade(period)[cadre.pk].final_grade == Grade.NOT_ASSESSED


def test_the_kinds_are_added_as_the_policy_counts_them(users, staff, town):
    period, (cadre,) = unit_of(town, 1, 2025, first=85)
    leave(staff, cadre, D(2025, 1, 1), 100, kind="sick")
    leave(staff, cadre, D(2025, 5, 1), 100, kind="personal")
    graded = regrade(period)[cadre.pk]
    assert graded.final_grade == Grade.NOT_ASSESSED
    assert "请假累计 200 天（病假 100 天、事假 100 天）" in rules(graded)["长期请假"]

    params = {
        "effect": "not_assessed",
        "share": "1/2",
        "leave_kinds": ["sick", "other"],
        "in_quota_base": "no",
    }
    policy_rule_save(actor=users["city_staff"], unit=town, kind="long_leave", params=params)
    assert regrade(period)[cadre.pk].final_grade == Grade.COMPETENT  # 事假 no longer counted


def test_overlapping_spans_count_once_per_kind_and_the_kinds_add_up(users, town):
    """The services refuse overlapping leave; records entered before that rule (or imported) may
    still overlap: each kind's spans are merged, then the counted kinds are added."""
    period, (cadre,) = unit_of(town, 1, 2025, first=85)
    LeaveRecord.objects.create(cadre=cadre, kind="sick", start_date=D(2025, 1, 1), end_date=D(2025, 4, 30))
    LeaveRecord.objects.create(cadre=cadre, kind="sick", start_date=D(2025, 3, 1), end_date=D(2025, 6, 30))
    graded = regrade(period)[cadre.pk]
    assert graded.final_grade == Grade.COMPETENT  # 181 days of sick leave, not 120 + 122

    LeaveRecord.objects.create(cadre=cadre, kind="personal", start_date=D(2025, 6, 1), end_date=D(2025, 6, 2))
    graded = regrade(period)[cadre.pk]
    assert graded.final_grade == Grade.NOT_ASSESSED
    assert "请假累计 183 天（病假 181 天、事假 2 天）" in rules(graded)["长期请假"]

    params = {"effect": "not_assessed", "share": "1/2", "leave_kinds": ["sick"], "in_quota_base": "no"}
    policy_rule_save(actor=users["city_staff"], unit=town, kind="long_leave", params=params)
    assert regrade(period)[cadre.pk].final_grade == Grade.COMPETENT


def test_long_leave_takes_no_excellent_place(staff, town):
    period, cadres = unit_of(town, 10, 2025)
    leave(staff, cadres[0], D(2025, 1, 1), 200)
    after = regrade(period)
    assert [after[c.pk].final_grade for c in cadres[:3]] == [
        Grade.NOT_ASSESSED,
        Grade.EXCELLENT,
        Grade.COMPETENT,
    ]
    quota = UnitQuota.objects.get(period=period, unit=town)
    assert (quota.assessed, quota.excluded, quota.places) == (9, {"长期请假": 1}, 1)


def test_the_policy_may_make_long_leave_undetermined_and_count_it_in_the_base(users, staff, town):
    period, cadres = unit_of(town, 10, 2025)
    leave(staff, cadres[0], D(2025, 1, 1), 200)
    params = {"effect": "undetermined", "share": "1/2", "leave_kinds": ["sick"], "in_quota_base": "yes"}
    policy_rule_save(actor=users["city_staff"], unit=town, kind="long_leave", params=params)
    after = regrade(period)
    assert (after[cadres[0].pk].final_grade, after[cadres[0].pk].grade_code) == (Grade.UNDETERMINED, 5)
    # counted in the base: 10 × 20% = 2 places, and still none for the cadre on leave
    assert [after[c.pk].final_grade for c in cadres[1:4]] == [
        Grade.EXCELLENT,
        Grade.EXCELLENT,
        Grade.COMPETENT,
    ]
    quota = UnitQuota.objects.get(period=period, unit=town)
    assert (quota.assessed, quota.excluded, quota.places, quota.awarded) == (10, {}, 2, 2)


# ---------------------------------------------------------------- investigations


def test_an_open_investigation_keeps_the_grade_undetermined_until_closed_without_sanction(staff, town):
    period, cadres = unit_of(town, 10, 2026)
    case = investigation_open(
        actor=staff, cadre=cadres[0], opened_on=D(2026, 2, 3), authority="县纪委监委", reason="违纪"
    )
    graded = regrade(period)
    assert (graded[cadres[0].pk].final_grade, graded[cadres[0].pk].grade_code) == (Grade.UNDETERMINED, 5)
    assert rules(graded[cadres[0].pk])["立案审查"] == "2026-02-03 被县纪委监委立案审查，尚未结案"
    quota = UnitQuota.objects.get(period=period, unit=town)
    assert (quota.assessed, quota.excluded, quota.places) == (9, {"立案审查": 1}, 1)

    investigation_close(actor=staff, investigation=case, closed_on=D(2026, 5, 6), outcome="cleared")
    graded = regrade(period)
    assert graded[cadres[0].pk].final_grade == Grade.EXCELLENT
    assert "立案审查" not in rules(graded[cadres[0].pk])
    assert UnitQuota.objects.get(period=period, unit=town).places == 2


def test_an_investigation_closed_with_a_demerit_leaves_the_grade_to_the_sanction_rule(staff, town):
    period, (cadre,) = unit_of(town, 1, 2026, first=85)
    case = investigation_open(
        actor=staff, cadre=cadre, opened_on=D(2026, 2, 3), authority="县纪委监委", reason="违纪"
    )
    investigation_close(actor=staff, investigation=case, closed_on=D(2026, 5, 6), outcome="sanctioned")
    # closed: graded again until the sanction it led to is recorded
    assert regrade(period)[cadre.pk].final_grade == Grade.COMPETENT
    sanction_create(actor=staff, cadre=cadre, kind="demerit", decided_on=D(2026, 5, 6), reason="违反廉洁纪律")
    graded = regrade(period)[cadre.pk]
    assert (graded.final_grade, graded.grade_code) == (Grade.UNDETERMINED, 5)
    assert "处分影响期" in rules(graded) and "立案审查" not in rules(graded)


def test_each_rule_that_fires_is_explained_and_the_first_decides(staff, town):
    period, (cadre,) = unit_of(town, 1, 2025, first=85)
    leave(staff, cadre, D(2025, 1, 1), 200)
    investigation_open(
        actor=staff, cadre=cadre, opened_on=D(2025, 3, 1), authority="县纪委监委", reason="违纪"
    )
    cadre_update(actor=staff, cadre=cadre, probation_end=D(2026, 1, 31))
    graded = regrade(period)[cadre.pk]
    assert graded.final_grade == Grade.NOT_ASSESSED  # long leave is looked at first
    assert {"长期请假", "立案审查", "试用期"} <= set(rules(graded))


# ---------------------------------------------------------------- the demo city


def test_the_demo_city_shows_who_is_not_graded_and_why(db, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    from assessment.models import Period
    from supervision.demo_ungraded import seed_ungraded
    from supervision.models import Investigation

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", cadres=242, stdout=StringIO())
    period = Period.objects.get(year=2026, quarter__isnull=True)
    rows = Assessment.objects.filter(period=period).select_related("cadre")
    ungraded = {a.cadre.name: (a.final_grade, set(rules(a))) for a in rows if a.grade_code in (5, 6)}
    on_probation = rows.filter(cadre__probation_end__year=2027)
    assert on_probation.count() == 2
    assert all(a.final_grade == Grade.UNDETERMINED and "试用期" in rules(a) for a in on_probation)
    sick = rows.get(cadre__leaves__kind="sick")
    assert sick.final_grade == Grade.NOT_ASSESSED and "病假 221 天" in rules(sick)["长期请假"]
    personal = rows.get(cadre__leaves__kind="personal")
    assert personal.grade_code not in (5, 6)
    under = rows.get(cadre__investigations__in=Investigation.objects.filter(closed_on__isnull=True))
    assert under.final_grade == Grade.UNDETERMINED and "尚未结案" in rules(under)["立案审查"]
    cleared = rows.get(cadre__investigations__outcome="cleared")
    assert cleared.grade_code not in (5, 6) and "立案审查" not in rules(cleared)
    assert len(ungraded) >= 4
    # a second run adds nothing
    assert seed_ungraded() == {}
    assert Investigation.objects.count() == 2
