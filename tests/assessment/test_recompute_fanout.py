"""A recomputation over several counties fanned out as one task per county and a last step
(assessment/services/fanout.py), in-process here (CELERY_TASK_ALWAYS_EAGER): the same grades,
quotas and team grades as one process, the job's progress and summary, one audit entry and
one signal; small recomputations stay in one process."""

import pytest
from django.db.models import Q

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus, TeamAssessment, UnitQuota
from assessment.services import fanout
from assessment.services.recompute import period_recompute, recompute_queue
from assessment.signals import grades_recomputed
from audit.models import AuditEntry
from cadres.models import TeamMembership, Unit, UnitKind
from core.models import Job, JobState
from tests.factories import CadreFactory, clear_results, make_period, make_user, unit_child, unit_root

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


@pytest.fixture
def province(db):
    """省 > 甲市 (市直部门, 甲一县 > 镇, 甲二县 > 镇) and 乙市 > 乙一县, with a cadre at the root."""
    root = unit_root("P", "示范省", UnitKind.PROVINCE)
    city_a = unit_child(root, "PA", "甲市", UnitKind.CITY)
    dept = unit_child(city_a, "PAB1", "甲市财政局", UnitKind.DEPARTMENT)
    office = unit_child(dept, "PAB1X", "甲市财政局国库科", UnitKind.DEPARTMENT)
    a1 = unit_child(city_a, "PA01", "甲一县", UnitKind.COUNTY)
    a1_town = unit_child(a1, "PA0101", "甲一镇", UnitKind.TOWNSHIP)
    a2 = unit_child(city_a, "PA02", "甲二县", UnitKind.COUNTY)
    a2_town = unit_child(a2, "PA0201", "甲二镇", UnitKind.TOWNSHIP)
    city_b = unit_child(root, "PB", "乙市", UnitKind.CITY)
    b1 = unit_child(city_b, "PB01", "乙一县", UnitKind.COUNTY)
    made = {
        "root": root,
        "city_a": city_a,
        "dept": dept,
        "office": office,
        "a1": a1,
        "a1_town": a1_town,
        "a2": a2,
        "a2_town": a2_town,
        "city_b": city_b,
        "b1": b1,
    }
    # fresh copies: units are kept in code order, so adding one may move a sibling's path
    return {key: Unit.objects.get(pk=unit.pk) for key, unit in made.items()}


def scored_world(province):
    """Assessments in every unit (scores spread so quotas and ranks matter) and a team."""
    period = make_period(status=PeriodStatus.GRADING)
    for n, unit in enumerate(province.values()):
        for i in range(7):
            cadre = CadreFactory(unit=unit)
            Assessment.objects.create(
                period=period, cadre=cadre, unit=unit, scores=dict.fromkeys(CODES, 70 + (i * 5 + n) % 30)
            )
            if i < 3 and unit.kind in (UnitKind.COUNTY, UnitKind.TOWNSHIP):
                TeamMembership.objects.create(
                    unit=unit, cadre=cadre, role_title="成员", is_main_leader=i == 0
                )
    return period


def outcome(period):
    return (
        list(
            Assessment.objects.filter(period=period)
            .order_by("pk")
            .values_list("total_score", "rank_in_unit", "computed_grade", "final_grade", "explanation")
        ),
        list(
            TeamAssessment.objects.filter(period=period)
            .order_by("unit_id")
            .values_list("unit_id", "total_score", "computed_grade", "final_grade", "explanation")
        ),
        list(
            UnitQuota.objects.filter(period=period)
            .order_by("unit_id")
            .values_list("unit_id", "assessed", "places", "awarded")
        ),
    )


def test_every_unit_is_in_exactly_one_part_counties_alone_and_first(province):
    p = province
    parts = fanout.plan_parts()

    assert parts[:3] == [[(p["a1"].path, False)], [(p["a2"].path, False)], [(p["b1"].path, False)]]
    # the root alone; each city alone with its county-free children's subtrees
    assert parts[3:] == [
        [(p["root"].path, True)],
        [(p["city_a"].path, True), (p["dept"].path, False)],
        [(p["city_b"].path, True)],
    ]


def test_a_city_plan_has_its_counties_and_its_own_part(province):
    p = province
    assert fanout.plan_parts(p["city_a"].path) == [
        [(p["a1"].path, False)],
        [(p["a2"].path, False)],
        [(p["city_a"].path, True), (p["dept"].path, False)],
    ]
    assert fanout.plan_parts(p["a1_town"].path) == []  # no county inside a township


def test_the_fanned_out_job_gives_the_grades_of_one_process(
    province, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 1
    period = scored_world(province)
    period_recompute(period_id=period.pk)
    alone = outcome(period)
    clear_results(period)

    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_queue(period=period)
    job.refresh_from_db()

    assert job.state == JobState.DONE, job.error
    assert job.result["parts"] == 6
    assert outcome(period) == alone
    assert alone[0][0][3]  # graded, not blank
    assert alone[1] and alone[2]  # teams and quotas written


def test_the_job_counts_every_assessment_and_sums_the_parts(
    province, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 1
    period = scored_world(province)
    staff = make_user("sheng", Role.STAFF, province["root"])
    before = AuditEntry.objects.count()
    signals = []

    def listen(sender, **kwargs):
        signals.append(kwargs["unit_path"])

    grades_recomputed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = recompute_queue(period=period, actor=staff, reason="年度考核全省重新计算")
    finally:
        grades_recomputed.disconnect(listen)
    job.refresh_from_db()
    period.refresh_from_db()

    assert (job.done, job.total) == (70, 70)
    assert job.result["assessments"] == 70
    assert job.result["changed"] == 70
    assert job.result["teams"] == 3 + 2  # three counties and two townships
    assert period.computed_at is not None
    assert signals == [""]  # once, for the whole province
    entries = AuditEntry.objects.filter(pk__gt=0).order_by("-pk")[: AuditEntry.objects.count() - before]
    assert [e.reason for e in entries] == ["年度考核全省重新计算"]
    assert "70 人" in str(entries[0].changes) and "6 个子任务" in str(entries[0].changes)
    assert entries[0].actor_id == staff.pk


def test_a_second_fanned_out_run_changes_nothing_and_records_nothing(
    province, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 1
    period = scored_world(province)
    with django_capture_on_commit_callbacks(execute=True):
        recompute_queue(period=period)
    first = outcome(period)
    before = AuditEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_queue(period=period)
    job.refresh_from_db()

    assert job.result["changed"] == 0 and job.result["teams_changed"] == 0
    assert AuditEntry.objects.count() == before
    assert outcome(period) == first


def test_below_the_threshold_the_job_runs_in_one_process(
    province, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 71  # one more than the province holds
    period = scored_world(province)
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_queue(period=period)
    job.refresh_from_db()

    assert job.state == JobState.DONE
    assert "parts" not in job.result
    assert job.result["changed"] == 70


def test_at_the_threshold_the_job_fans_out(province, settings, django_capture_on_commit_callbacks):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 70
    period = scored_world(province)
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_queue(period=period)
    job.refresh_from_db()

    assert job.result["parts"] == 6


def test_one_county_is_recomputed_in_one_process(province, settings, django_capture_on_commit_callbacks):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 1
    period = scored_world(province)
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_queue(period=period, unit_path=province["a1"].path)
    job.refresh_from_db()

    assert "parts" not in job.result
    assert job.result["assessments"] == 14


def test_a_part_delivered_twice_is_counted_once(province, settings):
    settings.RECOMPUTE_FANOUT_MIN_ROWS = 1
    period = scored_world(province)
    job = Job.objects.create(
        kind="assessment.recompute",
        state=JobState.RUNNING,
        attempts=1,
        params={"period": period.pk},
        total=70,
    )
    job.result = {"fanout": {"attempt": 1, "parts": 2, "done": [], **dict.fromkeys(fanout.SUM_KEYS, 0)}}
    job.save()
    pieces = [(province["a1"].path, False)]

    fanout.part_run(job_id=str(job.pk), attempt=1, index=0, pieces=pieces)
    fanout.part_run(job_id=str(job.pk), attempt=1, index=0, pieces=pieces)
    job.refresh_from_db()

    assert job.result["fanout"]["done"] == [0]
    assert job.done == 14
    assert job.state == JobState.RUNNING  # one part of two


def test_a_late_part_of_an_earlier_attempt_is_not_counted(province, settings):
    period = scored_world(province)
    job = Job.objects.create(
        kind="assessment.recompute",
        state=JobState.RUNNING,
        attempts=2,
        params={"period": period.pk},
        total=70,
    )
    job.result = {"fanout": {"attempt": 2, "parts": 1, "done": [], **dict.fromkeys(fanout.SUM_KEYS, 0)}}
    job.save()

    fanout.part_run(job_id=str(job.pk), attempt=1, index=0, pieces=[(province["b1"].path, False)])
    job.refresh_from_db()

    assert job.result["fanout"]["done"] == []
    assert job.state == JobState.RUNNING
    # its work stands: the county's grades were written
    assert not Assessment.objects.filter(unit=province["b1"], final_grade="").exists()
    assert Assessment.objects.filter(~Q(unit=province["b1"]), final_grade="").count() == 63
