"""A task queued through Redis runs in a real Celery worker started by the test, and its
result is visible in the database. Needs PostgreSQL (the worker is another process and must
share the test database) and Redis; .ci/run runs it with both, where a missing service fails."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app
from core.jobs import job_create
from core.models import Job, JobState

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _require_services():
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if not _redis_reachable():
        missing.append(f"Redis at {BROKER}")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _reset_connections():
    # The app caches its broker connection pool; drop it so the changed broker_url is used.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker():
    _require_services()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False, task_default_queue=queue)
    _reset_connections()
    try:
        yield proc
    finally:
        celery_app.conf.update(saved)
        _reset_connections()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(job, worker, seconds: float = 60) -> None:
    """Until the worker has finished the job (or the time is up, or the worker died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in (JobState.DONE, JobState.FAILED):
            return
        if worker.poll() is not None:
            pytest.fail("worker exited early:\n" + worker.stdout.read())
        time.sleep(0.2)


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
