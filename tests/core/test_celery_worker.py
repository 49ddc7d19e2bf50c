"""A task queued through Redis runs in a real Celery worker started by the test, and its
result is visible in the database. Needs PostgreSQL (the worker is another process and must
share the test database) and Redis; .ci/run runs it with both, where a missing service fails."""

import os

import pytest

from core.jobs import job_create
from core.models import Job, JobState
from tests.core.celery_workers import (
    new_queue,
    require_services,
    sending_to,
    start_worker,
    stop_worker,
    wait_for,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def worker():
    require_services()
    queue = new_queue()
    proc = start_worker(queue)
    try:
        with sending_to(queue):
            yield proc
    finally:
        stop_worker(proc)


def test_task_queued_through_redis_runs_in_a_worker_and_its_result_reaches_the_database(worker):
    job = job_create(kind="worker_check", params={"message": "来自测试"})
    wait_for(job, worker)
    assert job.state == JobState.DONE, f"job still {job.state}"
    assert job.result["message"] == "来自测试"
    assert job.result["pid"] != os.getpid()  # it ran in the worker process, not in this one
    assert Job.objects.get(pk=job.pk).worker.endswith(f":{job.result['pid']}")


def test_a_recomputation_runs_in_the_worker_and_the_grades_reach_the_database(worker, tree):
    from assessment.models import Assessment, PeriodStatus
    from assessment.services.recompute import recompute_queue
    from tests.factories import CadreFactory, make_period

    period = make_period(status=PeriodStatus.GRADING)
    for score in (95, 85, 65, 50, 80):
        cadre = CadreFactory(unit=tree["town_a"])
        codes = ["德", "能", "勤", "绩", "廉", "民主测评"]
        Assessment.objects.create(
            period=period, cadre=cadre, unit=tree["town_a"], scores=dict.fromkeys(codes, score)
        )

    job = recompute_queue(period=period)
    wait_for(job, worker)
    assert job.state == JobState.DONE, f"job {job.state}: {job.error}"
    assert (job.done, job.total) == (5, 5)
    grades = sorted(Assessment.objects.filter(period=period).values_list("total_score", "final_grade"))
    assert [g for _, g in grades] == ["不称职", "基本称职", "称职", "称职", "优秀"]
    assert job.worker and not job.worker.endswith(f":{os.getpid()}")


def test_a_large_sheet_is_validated_and_committed_by_the_worker(worker, tree, users, settings):
    """The upload stores the file and queues the job; the worker (another process, reading the
    stored file) checks and commits it, and its progress and outcome reach the batch."""
    from accounts.roles import Role
    from assessment.models import Assessment, ImportStatus, PeriodStatus
    from assessment.services.imports import import_start
    from tests.assessment.test_imports import make_sheet, scores
    from tests.factories import CadreFactory, make_period

    settings.IMPORT_ASYNC_ROWS = 3
    period = make_period(status=PeriodStatus.COLLECTING)
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(6)]
    admin = users[Role.COUNTY_ADMIN]

    batch = import_start(
        actor=admin, period=period, data=make_sheet([(c, scores(88)) for c in cadres]),
        filename="大表.xlsx", commit=True,
    )  # fmt: skip
    assert batch.status == ImportStatus.PENDING and batch.job is not None

    job = batch.job
    wait_for(job, worker, seconds=90)
    assert job.state == JobState.DONE, f"job {job.state}: {job.error}"
    assert (job.done, job.total) == (6, 6)
    assert job.worker and not job.worker.endswith(f":{os.getpid()}")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED, batch.message
    assert batch.audit_batch == f"import:{batch.pk}"
    stored = dict(Assessment.objects.filter(period=period).values_list("cadre_id", "scores"))
    assert all(stored[c.pk] == scores(88) for c in cadres)
