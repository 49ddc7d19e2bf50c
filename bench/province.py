"""Benchmark: a province of a million cadres, built and recomputed by one and by two workers.

    .venv/bin/python bench/province.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the database ``cadre_province`` on
postgres://postgres@127.0.0.1:5432 (created when missing, kept between runs). Steps:

1. unless the province is there, ``seed_demo --cadres 1000000 --no-assessments`` in a child
   process, timed (``seed_1m_s``, target ≤ 600 s) and its peak RSS read; the time is kept in
   the database (table ``bench_meta``) so a later run that reuses the province prints it again;
2. an annual period (2025) with a score for every cadre (written once, by COPY, and reused);
3. for 1 and then 2 workers: the computed results cleared (so every row is written again) and
   vacuumed, ``celery -A config worker --concurrency=1`` started that many times against Redis
   (``BENCH_BROKER_URL``, default redis://127.0.0.1:6379/14, a queue of its own), the whole
   province's recomputation queued (``recompute_queue``: it fans out per county,
   assessment/services/fanout.py) and timed from the enqueue to the job done
   (``recompute_1m_s_w1`` target ≤ 60 s; ``_w2`` should be markedly less), the grades checked to
   be the same both times, the workers stopped;
4. the peak RSS (VmHWM) of every process: the seed, each worker's main and pool processes, this
   driver; target ≤ 2 GB each.

The last line is ``RESULT seed_1m_s=.. recompute_1m_s_w1=.. recompute_1m_s_w2=.. peak_rss_mb_1m=..``.
On a shared 2-core machine the figures are noisy, and two workers only help when both cores
are free (PostgreSQL works on the same two cores).
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _setup import DEFAULT_SERVER, ROOT, _prepare_database, cleared_results, django_on_postgres, scored_period

CADRES = int(os.environ.get("BENCH_CADRES", 1_000_000))  # smaller only to try the script out
YEAR = 2025
DB_NAME = os.environ.get("BENCH_DB", "cadre_province")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")


def _peak_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(pid: int) -> list[int]:
    """The process and its descendants (a prefork worker's pool processes)."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _sample(procs, peaks: dict[str, float]) -> None:
    for i, proc in enumerate(procs):
        for pid in _tree(proc.pid):
            key = f"worker {i + 1} pid {pid}"
            peaks[key] = max(peaks.get(key, 0.0), _peak_mb(pid))


def _meta(key: str, value: str | None = None) -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        if value is not None:
            cursor.execute(
                "INSERT INTO bench_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, value],
            )
            return value
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cursor.fetchone()
        return row[0] if row else None


def seed(env: dict) -> tuple[str, float]:
    """(seconds as text, peak RSS in MB) of ``seed_demo --cadres 1000000``, run once."""
    from cadres import demo

    if demo.demo_present():
        return _meta("seed_1m_s") or "reused", float(_meta("seed_1m_peak_mb") or 0)
    print(f"building the province with {CADRES:,} cadres (once)…", file=sys.stderr)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", f"--cadres={CADRES}", "--no-assessments"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    _meta("seed_1m_peak_mb", f"{peak:.0f}")
    return _meta("seed_1m_s", f"{elapsed:.1f}"), peak


def scored_province_period():
    period, written = scored_period(YEAR, f"{YEAR}年度考核（全省基准测试）")
    if written:
        print(f"scored {written:,} cadres", file=sys.stderr)
    return period


def outcome_digest(period) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(string_agg(concat_ws('|', id, total_score, rank_in_unit, final_grade, explanation::text), "
            "',' ORDER BY id)) FROM assessment_assessment WHERE period_id = %s",
            [period.pk],
        )
        return cursor.fetchone()[0]


def timed_run(period, workers: int, env: dict) -> tuple[float, dict, dict[str, float]]:
    """Seconds from the enqueue to the job done with ``workers`` workers; the job's result; the
    peak RSS (MB) of each worker process."""
    from celery import Celery

    from assessment.services.recompute import recompute_queue
    from config.celery import app
    from core.models import Job, JobState

    # the default queue of this benchmark's own Redis database: a worker's start-up sweep sends
    # what it finds waiting there too
    queue = "celery"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                f"w{i}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]
    peaks: dict[str, float] = {}
    try:
        control = Celery(broker=BROKER)
        deadline = time.monotonic() + 120
        while len(control.control.ping(timeout=1.0) or []) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
        # (as tests/core/broker.py: Celery reads CELERY_BROKER_URL before its settings)
        os.environ["CELERY_BROKER_URL"] = BROKER
        app.conf.update(task_always_eager=False, broker_url=BROKER, task_default_queue=queue)
        app._pool = None
        app.amqp._producer_pool = None
        # a job left waiting by an interrupted run would stand in for this one (recompute_queue
        # reuses a waiting job) on a queue nobody listens to now
        Job.objects.filter(
            kind="assessment.recompute", state__in=[JobState.PENDING, JobState.RUNNING]
        ).update(state=JobState.FAILED, error="基准测试：上次运行中断")
        started = time.perf_counter()
        job = recompute_queue(period=period, reason="基准测试：全省重新计算")
        while True:
            _sample(procs, peaks)
            state = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
            if state in (JobState.DONE, JobState.FAILED):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
        if job.state != JobState.DONE:
            raise RuntimeError(f"the job failed: {job.error}")
        _sample(procs, peaks)
        return elapsed, job.result, peaks
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> int:
    if "DATABASE_URL" not in os.environ:
        _prepare_database(DEFAULT_SERVER, DB_NAME, fresh=False)
        os.environ["DATABASE_URL"] = f"{DEFAULT_SERVER}/{DB_NAME}"
    failed = django_on_postgres("bench/province.py")
    if failed is not None:
        return failed
    import redis
    from django.core.management import call_command

    from cadres.models import Cadre

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "CELERY_BROKER_URL": BROKER}
    redis.Redis.from_url(BROKER).flushdb()  # this benchmark's own Redis database

    call_command("migrate", verbosity=0)
    seed_s, seed_peak = seed(env)
    cadres = Cadre.objects.count()
    period = scored_province_period()

    runs = {}
    digests = []
    peaks: dict[str, float] = {}
    for workers in (1, 2):
        cleared_results(period)
        elapsed, result, worker_peaks = timed_run(period, workers, env)
        runs[workers] = (elapsed, result)
        peaks.update({f"{workers} workers {k}": v for k, v in worker_peaks.items()})
        digests.append(outcome_digest(period))
        print(
            f"{workers} worker(s): {elapsed:.1f} s, {result.get('parts')} parts, "
            f"{result.get('assessments'):,} assessments, {result.get('changed'):,} changed",
            file=sys.stderr,
        )
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    same = digests[0] == digests[1]

    print(f"\ncadres: {cadres:,}   period: {period.name}   same grades with 1 and 2 workers: {same}")
    print(f"{'step':<44}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{f'seed_demo --cadres {CADRES} --no-assessments':<44}{seed_s:>10}{seed_peak:>14.0f}")
    for workers, (elapsed, _) in runs.items():
        top = max(v for k, v in peaks.items() if k.startswith(f"{workers} workers"))
        print(f"{f'recompute, {workers} worker(s) (largest process)':<44}{elapsed:>10.1f}{top:>14.0f}")
    for key, value in sorted(peaks.items()):
        print(f"{'  ' + key:<44}{'':>10}{value:>14.0f}")
    print(f"{'this driver (scores 1M cadres)':<44}{'':>10}{driver:>14.0f}")
    peak = max([seed_peak, driver, *peaks.values()])
    if not same:
        print("the grades differ between the runs", file=sys.stderr)
        return 1
    print(
        f"RESULT seed_1m_s={seed_s} recompute_1m_s_w1={runs[1][0]:.1f} recompute_1m_s_w2={runs[2][0]:.1f} "
        f"peak_rss_mb_1m={peak:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
