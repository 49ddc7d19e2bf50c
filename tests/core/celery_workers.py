"""Real Celery workers for the tests marked ``celery_worker``: started as subprocesses on a
queue of their own, against the test database (PostgreSQL) and a Redis broker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from core.models import JobState
from tests.core.broker import broker_at

BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]


def redis_reachable(url: str = BROKER) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def require_services():
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if not redis_reachable():
        missing.append(f"Redis at {BROKER}")
    if missing:
        message = "needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def worker_env(broker: str = BROKER, **extra) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        **{k: str(v) for k, v in extra.items()},
    }


def start_worker(queue: str, *, broker: str = BROKER, pool: str = "solo", include: str = "", **env):
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", pool, "-Q", queue,
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]  # fmt: skip
    if pool == "prefork":
        args += ["-c", "1"]
    if include:
        args += ["--include", include]
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=worker_env(broker, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def sending_to(queue: str, broker: str = BROKER):
    """Tasks queued by this process go to ``queue`` on ``broker`` (not run in-process)."""
    return broker_at(broker, task_always_eager=False, task_default_queue=queue)


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def wait_until(check, worker=None, seconds: float = 60, what: str = "condition"):
    """Until ``check()`` is true (or the time is up, or the worker died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if worker is not None and worker.poll() is not None:
            pytest.fail("worker exited early:\n" + worker.stdout.read())
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def wait_for(job, worker, seconds: float = 60) -> None:
    """Until the worker has finished the job (or the time is up, or the worker died)."""

    def finished():
        job.refresh_from_db()
        return job.state in (JobState.DONE, JobState.FAILED)

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if finished():
            return
        if worker.poll() is not None:
            pytest.fail("worker exited early:\n" + worker.stdout.read())
        time.sleep(0.2)
