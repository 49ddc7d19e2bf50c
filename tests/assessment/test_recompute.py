"""Recomputation: idempotent, set-based, coalesced, started by the changes that bear on grades,
and never interleaved for one period."""

import datetime
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from assessment.models import Assessment, Period, PeriodStatus
from assessment.services.policy import policy_rule_save
from assessment.services.recompute import (
    JOB_KIND,
    collapse_paths,
    period_recompute,
    recompute_queue,
    recompute_queue_paths,
)
from audit.models import AuditEntry
from core.models import Job, JobState
from supervision.models import InterviewReason
from supervision.services import interviews as talks
from supervision.services.sanctions import sanction_create
from tests.factories import CadreFactory, make_period

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


def add_cadres(period, unit, n, base=80):
    for i in range(n):
        cadre = CadreFactory(unit=unit)
        Assessment.objects.create(
            period=period, cadre=cadre, unit=unit, scores=dict.fromkeys(CODES, base + i % 15)
        )


def test_a_second_recomputation_changes_nothing_and_records_nothing(tree):
    period = make_period()
    add_cadres(period, tree["town_a"], 12)
    first = period_recompute(period_id=period.pk)
    audit_count = AuditEntry.objects.count()
    snapshot = list(
        Assessment.objects.order_by("pk").values_list("final_grade", "explanation", "rank_in_unit")
    )

    second = period_recompute(period_id=period.pk)

    assert first["changed"] == 12
    assert second["changed"] == 0
    assert AuditEntry.objects.count() == audit_count
    assert (
        list(Assessment.objects.order_by("pk").values_list("final_grade", "explanation", "rank_in_unit"))
        == snapshot
    )


def test_recomputation_takes_the_same_number_of_queries_for_5_or_40_cadres(tree):
    counts = []
    for n, year in ((5, 2023), (40, 2024)):
        period = make_period(year=year)
        add_cadres(period, tree["town_a"], n // 2)
        add_cadres(period, tree["town_b"], n - n // 2)
        with CaptureQueriesContext(connection) as ctx:
            result = period_recompute(period_id=period.pk)
        assert result["changed"] == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_a_closed_period_is_not_recomputed(tree):
    for status in (PeriodStatus.DRAFT, PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED):
        period = make_period(status=status, year=2020 + list(PeriodStatus.values).index(status))
        add_cadres(period, tree["town_a"], 3)
        assert recompute_queue(period=period) is None
        assert "不重新计算" in period_recompute(period_id=period.pk)["skipped"]
        assert not Assessment.objects.filter(period=period).exclude(final_grade="").exists()


def test_a_waiting_job_covering_the_subtree_is_reused(tree):
    period = make_period()
    whole = recompute_queue(period=period)
    town = recompute_queue(period=period, unit_path=tree["town_a"].path)
    assert town.pk == whole.pk
    assert Job.objects.filter(kind=JOB_KIND).count() == 1


def test_a_job_for_a_smaller_subtree_does_not_cover_a_larger_one(tree):
    period = make_period()
    town = recompute_queue(period=period, unit_path=tree["town_a"].path)
    county = recompute_queue(period=period, unit_path=tree["county_a"].path)
    assert town.pk != county.pk


def test_several_subtrees_are_queued_in_one_insert_reusing_waiting_jobs(
    tree, django_assert_num_queries, django_capture_on_commit_callbacks
):
    period = make_period()
    waiting = recompute_queue(period=period, unit_path=tree["county_a"].path)
    paths = [tree["town_a"].path, tree["county_a"].path, tree["town_b"].path, tree["town_b"].path]
    # the waiting jobs, one INSERT
    with django_capture_on_commit_callbacks() as queued, django_assert_num_queries(2):
        jobs = recompute_queue_paths(period=period, unit_paths=paths)
    assert jobs[0].pk == waiting.pk and len(jobs) == 2
    assert jobs[1].params["unit_path"] == tree["town_b"].path
    assert Job.objects.filter(kind=JOB_KIND).count() == 2
    assert len(queued) == 1  # only the new job goes to the workers


def test_nested_paths_collapse_to_their_common_subtrees(tree):
    paths = [tree["town_a"].path, tree["county_a"].path, tree["town_b"].path]
    assert collapse_paths(paths) == [tree["county_a"].path, tree["town_b"].path]


def test_the_job_reports_progress_and_its_summary(tree, users, django_capture_on_commit_callbacks):
    period = make_period()
    add_cadres(period, tree["town_a"], 7)
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_queue(period=period, actor=users[Role.STAFF], reason="测试")
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert (job.done, job.total) == (7, 7)
    assert job.result["changed"] == 7
    entry = AuditEntry.objects.filter(reason="测试").get()
    assert "7 人" in str(entry.changes)


def test_recording_a_sanction_recomputes_the_open_annual_period(
    tree, users, django_capture_on_commit_callbacks
):
    period = make_period()
    add_cadres(period, tree["town_a"], 5, base=95)
    period_recompute(period_id=period.pk)
    top = Assessment.objects.filter(period=period).order_by("-total_score").first()
    assert top.final_grade == "优秀"

    with django_capture_on_commit_callbacks(execute=True):
        sanction_create(
            actor=users[Role.STAFF],
            cadre=top.cadre,
            kind="demerit",
            decided_on=datetime.date(2025, 3, 1),
            reason="违反工作纪律",
        )

    top.refresh_from_db()
    assert top.final_grade == "不定等次"
    assert any(e["rule"] == "处分影响期" for e in top.explanation)


def test_conducting_an_interview_recomputes_the_open_annual_period(
    tree, users, django_capture_on_commit_callbacks
):
    today = datetime.date.today()
    period = make_period(year=(today - datetime.timedelta(days=40)).year)
    add_cadres(period, tree["town_a"], 5, base=95)
    period_recompute(period_id=period.pk)
    top = Assessment.objects.filter(period=period).order_by("-total_score").first()
    assert top.final_grade == "优秀"

    staff, head = users[Role.STAFF], users[Role.HEAD]
    reason = InterviewReason.objects.filter(audience="leader").first()
    with django_capture_on_commit_callbacks(execute=True):
        interview = talks.yuetan_propose(
            actor=staff,
            subject_type="cadre",
            cadre=top.cadre,
            reasons=[reason],
            proposed_on=today - datetime.timedelta(days=50),
        )
        talks.yuetan_approve(actor=head, interview=interview, approved_on=today - datetime.timedelta(days=45))
        talks.yuetan_send_notice(
            actor=staff, interview=interview, notice_sent_on=today - datetime.timedelta(days=43)
        )
    assert Assessment.objects.get(pk=top.pk).final_grade == "优秀"  # not conducted yet: no cap
    with django_capture_on_commit_callbacks(execute=True):
        talks.yuetan_conduct(
            actor=staff,
            interview=interview,
            conducted_on=today - datetime.timedelta(days=40),
            location="组织部约谈室",
            interviewers="李部长",
            record="指出问题，提出整改要求。",
        )

    top.refresh_from_db()
    assert top.final_grade == "称职"
    assert any("约谈 1 次" in e["facts"] for e in top.explanation)


def test_changing_the_policy_recomputes_the_open_periods(tree, users, django_capture_on_commit_callbacks):
    period = make_period()
    add_cadres(period, tree["town_a"], 10)  # totals 80..89
    period_recompute(period_id=period.pk)
    assert not Assessment.objects.filter(period=period, final_grade="优秀").exists()

    with django_capture_on_commit_callbacks(execute=True):
        policy_rule_save(
            actor=users[Role.STAFF],
            unit=tree["county_a"],
            kind="thresholds",
            params={"excellent_min": 85, "competent_min": 70, "basic_min": 60},
        )

    assert Assessment.objects.filter(period=period, final_grade="优秀").count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recomputations_of_one_period_never_interleave(tree):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    period = make_period()
    add_cadres(period, tree["town_a"], 5)
    holding = threading.Event()
    release = threading.Event()
    finished = []

    def hold_the_period():
        try:
            with transaction.atomic():
                Period.objects.select_for_update().get(pk=period.pk)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def recompute():
        try:
            period_recompute(period_id=period.pk)
            finished.append(time.monotonic())
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_period)
    holder.start()
    assert holding.wait(10)
    second = threading.Thread(target=recompute)
    second.start()
    second.join(1.0)
    # The second recomputation waits for the first transaction on the period row.
    assert second.is_alive() and not finished
    released_at = time.monotonic()
    release.set()
    holder.join(10)
    second.join(10)
    assert finished and finished[0] >= released_at
    assert Assessment.objects.filter(period=period).exclude(final_grade="").count() == 5
