"""Fault tests with real workers and Redis: a worker killed in the middle of a job, and a
broker that goes away and comes back. The job is found again and finished, and the data
equals an undisturbed run. Needs PostgreSQL and Redis (``celery_worker``, run by .ci/run)."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, ImportStatus, PeriodStatus
from assessment.services.recompute import RESULT_FIELDS, period_recompute, recompute_queue
from audit.models import AuditEntry
from core.jobs import jobs_sweep
from core.middleware import DELAYED_HEADER
from core.models import Job, JobState
from tests.core.celery_workers import (
    new_queue,
    redis_reachable,
    require_services,
    sending_to,
    start_worker,
    stop_worker,
    wait_for,
    wait_until,
)
from tests.factories import CadreFactory, clear_results, make_period

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LEASE = 2  # seconds: the workers below renew it every 0.3 s
FAST_LEASE = {"DJANGO_JOB_LEASE_SECONDS": LEASE, "DJANGO_JOB_HEARTBEAT_SECONDS": 0.3}
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


@pytest.fixture
def lease(settings):
    settings.JOB_LEASE_SECONDS = LEASE  # the sweep in this process judges leases the same way


def _grading_period(tree, n=12):
    period = make_period(status=PeriodStatus.GRADING)
    for i in range(n):
        cadre = CadreFactory(unit=tree["town_a"] if i % 2 else tree["town_b"])
        Assessment.objects.create(
            period=period, cadre=cadre, unit=cadre.unit, scores=dict.fromkeys(CODES, 55 + 3 * i)
        )
    return period


GRADED = [f for f in RESULT_FIELDS if f != "updated_at"]


def _results(period):
    return sorted(Assessment.objects.filter(period=period).values_list("cadre_id", *GRADED))


def _undisturbed(period):
    """The grades an undisturbed run gives, then the computed results cleared again."""
    period_recompute(period_id=period.pk)
    expected = _results(period)
    clear_results(period)
    assert _results(period) != expected
    return expected


def _running_first_attempt(job, worker):
    def running():
        job.refresh_from_db()
        return job.state == JobState.RUNNING and job.attempts == 1

    wait_until(running, worker, 60, "the job to start")
    return int(job.worker.rsplit(":", 1)[1])


def _sweep_after_lease(worker, job):
    time.sleep(LEASE + 0.5)
    jobs_sweep()
    wait_for(job, worker, 90)


def test_a_recomputation_whose_pool_process_is_killed_is_run_again_to_the_same_grades(tree, lease):
    require_services()
    period = _grading_period(tree)
    expected = _undisturbed(period)
    queue = new_queue()
    worker = start_worker(
        queue, pool="prefork", include="tests.core.fault_hooks", JOB_FAULT_HOLD_SECONDS=30, **FAST_LEASE
    )
    try:
        with sending_to(queue):
            job = recompute_queue(period=period)
            pid = _running_first_attempt(job, worker)
            assert pid != worker.pid  # the pool's child process, not the worker's main process
            os.kill(pid, signal.SIGKILL)
            _sweep_after_lease(worker, job)
    finally:
        stop_worker(worker)
    assert job.state == JobState.DONE, f"job {job.state}: {job.error}"
    assert job.attempts == 2
    assert _results(period) == expected


def test_an_import_whose_whole_worker_is_killed_is_finished_by_the_next_worker(tree, users, settings, lease):
    from assessment.services.imports import import_start
    from tests.assessment.test_imports import make_sheet, scores

    require_services()
    settings.IMPORT_ASYNC_ROWS = 3
    period = make_period(status=PeriodStatus.COLLECTING)
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(6)]
    queue = new_queue()
    first = start_worker(queue, include="tests.core.fault_hooks", JOB_FAULT_HOLD_SECONDS=30, **FAST_LEASE)
    second = None
    try:
        with sending_to(queue):
            batch = import_start(
                actor=users[Role.COUNTY_ADMIN], period=period, filename="大表.xlsx", commit=True,
                data=make_sheet([(c, scores(88)) for c in cadres]),
            )  # fmt: skip
            job = batch.job
            _running_first_attempt(job, first)
            first.send_signal(signal.SIGKILL)  # the whole worker (solo pool: the job runs in it)
            first.wait(timeout=10)
            second = start_worker(queue, **FAST_LEASE)
            _sweep_after_lease(second, job)
    finally:
        stop_worker(first)
        if second is not None:
            stop_worker(second)
    assert job.state == JobState.DONE, f"job {job.state}: {job.error}"
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED, batch.message
    stored = dict(Assessment.objects.filter(period=period).values_list("cadre_id", "scores"))
    assert stored == {c.pk: scores(88) for c in cadres}
    # written once: one audit entry per assessment, as an undisturbed import writes
    assert AuditEntry.objects.filter(batch=f"import:{batch.pk}").count() == len(cadres)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(port: int):
    return subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_with_redis_stopped_pages_answer_and_the_work_is_delivered_once_it_is_back(client, tree, users):
    require_services()
    if not shutil.which("redis-server"):
        pytest.fail("needs redis-server to start a broker of its own")
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = _start_redis(port)
    wait_until(lambda: redis_reachable(broker), None, 20, "the test's Redis")
    period = _grading_period(tree, n=4)
    expected = _undisturbed(period)
    cadre = Assessment.objects.filter(period=period, unit=tree["town_a"]).first().cadre
    queue = new_queue()
    worker = start_worker(queue, broker=broker)
    try:
        with sending_to(queue, broker):
            redis.terminate()
            redis.wait(timeout=10)
            client.force_login(users[Role.COUNTY_ADMIN])
            url = reverse("assessment:grid", args=[period.pk, tree["town_a"].pk])
            response = client.post(url, {f"s-{cadre.pk}-{i}": "99" for i in range(6)})
            assert response.status_code == 302 and response[DELAYED_HEADER] == "delayed"
            assert Assessment.objects.get(period=period, cadre=cadre).scores["德"] == 99
            assert client.get(reverse("assessment:period_detail", args=[period.pk])).status_code == 200
            job = Job.objects.get(kind="assessment.recompute", params__period=period.pk)
            assert job.delayed

            redis = _start_redis(port)  # the broker is back
            wait_until(lambda: redis_reachable(broker), None, 20, "the test's Redis again")
            jobs_sweep()
            wait_for(job, worker, 90)
    finally:
        stop_worker(worker)
        redis.terminate()
    assert job.state == JobState.DONE, f"job {job.state}: {job.error}"
    period_recompute(period_id=period.pk)  # what an undisturbed run gives for the new score
    after = _results(period)
    assert after != expected  # the new score was graded
