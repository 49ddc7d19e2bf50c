"""Jobs survive faults: a broker that refuses the message, a worker killed mid-job.

In-process tests of core.jobs (the real-worker versions are in test_worker_faults.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from assessment.models import ImportBatch, ImportStatus
from core import jobs
from core.jobs import LOST_MESSAGE, job_create, job_run, jobs_sweep, reusable_pending
from core.models import Job, JobState


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


# ---------------------------------------------------------------- the broker refuses


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_the_broker_refuses_is_kept_pending_and_marked_and_nothing_raises(broker_down):
    jobs.delivery_delayed(reset=True)
    job = job_create(kind="worker_check")  # on_commit runs at once: no transaction around it
    job.refresh_from_db()
    assert job.state == JobState.PENDING
    assert job.dispatch_failed_at is not None and job.queued_at is None
    assert job.delayed
    assert jobs.delivery_delayed(reset=True) is True
    assert jobs.delivery_delayed() is False


def test_a_job_sent_to_the_broker_records_when(db, sent_messages):
    job = Job.objects.create(kind="worker_check")
    jobs.jobs_dispatch([job])
    job.refresh_from_db()
    assert sent_messages == [str(job.pk)]
    assert job.queued_at is not None and job.dispatch_failed_at is None and not job.delayed


def test_a_refused_job_is_not_reused_as_already_queued(db):
    refused = Job.objects.create(kind="worker_check", dispatch_failed_at=timezone.now())
    fresh = Job.objects.create(kind="worker_check")
    assert list(reusable_pending(Job.objects.all())) == [fresh]
    assert refused not in reusable_pending(Job.objects.all())


def test_a_job_waiting_longer_than_the_reuse_window_is_not_reused(db, settings):
    settings.JOB_REUSE_SECONDS = 300
    old = Job.objects.create(kind="worker_check")
    edge = Job.objects.create(kind="worker_check")
    Job.objects.filter(pk=old.pk).update(created_at=_ago(301))
    Job.objects.filter(pk=edge.pk).update(created_at=_ago(299))
    assert list(reusable_pending(Job.objects.all())) == [edge]


# ---------------------------------------------------------------- the sweep delivers


def test_the_sweep_delivers_a_job_the_broker_refused(db, sent_messages):
    job = Job.objects.create(kind="worker_check", dispatch_failed_at=_ago(5))
    assert jobs_sweep()["redelivered"] == 1
    assert sent_messages == [str(job.pk)]
    job.refresh_from_db()
    assert job.dispatch_failed_at is None and job.queued_at is not None


def test_the_sweep_sends_again_a_job_whose_message_was_lost_but_not_a_recent_one(db, settings, sent_messages):
    settings.JOB_REDISPATCH_SECONDS = 300
    lost = Job.objects.create(kind="worker_check", queued_at=_ago(301))
    recent = Job.objects.create(kind="worker_check", queued_at=_ago(299))
    never_sent = Job.objects.create(kind="worker_check")
    Job.objects.filter(pk=never_sent.pk).update(created_at=_ago(301))
    just_made = Job.objects.create(kind="worker_check")  # its transaction's on_commit sends it
    jobs_sweep()
    assert sorted(sent_messages) == sorted([str(lost.pk), str(never_sent.pk)])
    assert str(recent.pk) not in sent_messages and str(just_made.pk) not in sent_messages


def test_the_sweep_leaves_finished_jobs_alone(db, sent_messages):
    Job.objects.create(kind="worker_check", state=JobState.DONE, dispatch_failed_at=_ago(500))
    Job.objects.create(kind="worker_check", state=JobState.FAILED, heartbeat_at=_ago(5000))
    assert jobs_sweep() == {"requeued": 0, "failed": 0, "redelivered": 0, "not_sent": 0}
    assert sent_messages == []


# ---------------------------------------------------------------- a worker dies


def _running(heartbeat_age: float, attempts: int = 1, **fields) -> Job:
    return Job.objects.create(
        kind="worker_check",
        state=JobState.RUNNING,
        started_at=_ago(heartbeat_age),
        heartbeat_at=_ago(heartbeat_age),
        attempts=attempts,
        worker="gone:123",
        **fields,
    )


def test_a_running_job_whose_lease_lapsed_is_queued_again(db, settings, sent_messages):
    settings.JOB_LEASE_SECONDS = 120
    lapsed = _running(121)
    alive = _running(119)
    result = jobs_sweep()
    assert result["requeued"] == 1
    lapsed.refresh_from_db()
    alive.refresh_from_db()
    assert lapsed.state == JobState.PENDING and lapsed.worker == "" and sent_messages == [str(lapsed.pk)]
    assert alive.state == JobState.RUNNING


def test_a_job_lost_on_its_last_attempt_fails_with_a_chinese_message(db, settings, sent_messages):
    settings.JOB_MAX_ATTEMPTS = 3
    last = _running(500, attempts=3)
    second = _running(500, attempts=2)
    assert jobs_sweep()["failed"] == 1
    last.refresh_from_db()
    second.refresh_from_db()
    assert last.state == JobState.FAILED and last.finished_at is not None
    assert last.error == LOST_MESSAGE.format(attempts=3) and "意外中断" in last.error
    assert second.state == JobState.PENDING and sent_messages == [str(second.pk)]


def test_an_import_batch_follows_its_lost_job(db, users, tree, settings, sent_messages):
    from assessment.services.imports import VALIDATE_JOB
    from tests.factories import make_period

    period = make_period()
    batch = ImportBatch.objects.create(
        period=period, unit=tree["town_a"], uploaded_by=users[Role.COUNTY_ADMIN],
        original_name="表.xlsx", status=ImportStatus.VALIDATING, scope_path=tree["town_a"].path,
    )  # fmt: skip
    job = _running(500, attempts=settings.JOB_MAX_ATTEMPTS)
    Job.objects.filter(pk=job.pk).update(kind=VALIDATE_JOB, params={"batch": str(batch.pk)})
    jobs_sweep()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "意外中断" in batch.message


def test_a_redelivered_message_claims_a_job_whose_lease_lapsed_but_not_a_live_one(db, settings):
    settings.JOB_LEASE_SECONDS = 120
    lapsed = _running(121)
    alive = _running(60)
    assert job_run(str(alive.pk)) is False
    assert job_run(str(lapsed.pk)) is True
    lapsed.refresh_from_db()
    assert lapsed.state == JobState.DONE and lapsed.attempts == 2


def test_claiming_counts_attempts_and_starts_the_lease(db):
    job = Job.objects.create(kind="worker_check")
    job_run(str(job.pk))
    job.refresh_from_db()
    assert job.attempts == 1 and job.heartbeat_at is not None and job.queued_at is None


def test_progress_renews_the_lease(db):
    job = _running(500)
    jobs.progress(job, 1, 2)
    job.refresh_from_db()
    assert job.heartbeat_at > _ago(5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_renews_the_lease_while_the_handler_runs(settings):
    """The heartbeat thread has its own connection: PostgreSQL (SQLite's test database is
    in memory and private to the test's connection)."""
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings.JOB_HEARTBEAT_SECONDS = 0.05
    seen = []

    def slow(job):
        start = Job.objects.get(pk=job.pk).heartbeat_at
        time.sleep(0.5)
        seen.append((start, Job.objects.get(pk=job.pk).heartbeat_at))
        return {}

    jobs.HANDLERS["test_slow"] = slow
    try:
        job = Job.objects.create(kind="test_slow")
        assert job_run(str(job.pk), heartbeat=True)
    finally:
        del jobs.HANDLERS["test_slow"]
    start, later = seen[0]
    assert later > start
