"""Benchmark: ``GET /api/v1/grade-reports/`` under load on the 100,000-cadre city.

    .venv/bin/python bench/api_reports.py [--seconds 15] [--port 8765]

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, building the demo city once (bench/_setup.py) and grading
the 2025 annual period as bench/recompute.py does (a score for every cadre, one recomputation)
when it has ungraded rows. Then:

1. serves the app with gunicorn as production would (``config.settings.production``, DEBUG off,
   3 sync workers, 127.0.0.1, throwaway secrets; the encryption keys are the ones the city was
   built with, so ID numbers decrypt);
2. signs in as ``api_reader`` (the provincial platform's role: scope the whole city, ID
   numbers masked) with a token, and walks the pages of one county (≈ 28,000 cadres, 100 a
   page, every page in turn) with 1, 10 and 50 concurrent clients (threads, ``http.client``),
   for ``--seconds`` each, after a warm-up; reports p50/p95/p99, requests per second and the
   CPU time per request (from /proc) of the gunicorn workers (what the app costs, whatever the
   load), of PostgreSQL's processes and of this client;
3. downloads the county's xlsx three times: seconds to the first byte and to the last;
4. replays a sample of the same requests in-process, times every SQL statement, and prints
   ``EXPLAIN (ANALYZE, BUFFERS)`` of the three with the most time in all (pg_stat_statements
   is not loaded on the shared server, so the statements are captured from Django instead).

The machine is shared and has 2 cores: the client, gunicorn and PostgreSQL share them, so
the figures are a floor. The last line is
``RESULT api_p50_ms_c10=.. api_p95_ms_c10=.. api_rps_c10=.. api_p95_ms_c50=..
xlsx_county_first_byte_s=.. xlsx_county_s=..``.
Targets (issue 20): p95 ≤ 50 ms and ≥ 200 req/s at 10 clients, p95 ≤ 200 ms at 50; xlsx first
byte ≤ 1 s, whole ≤ 3 s.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from _setup import ROOT, demo_city, django_on_postgres, scored_period

CADRES = 100_000
YEAR = 2025
PAGE_SIZE = 100
WORKERS = 3


def graded_period():
    """The 2025 annual period, every cadre scored and graded (as bench/recompute.py leaves it)."""
    from assessment.models import Assessment
    from assessment.services.recompute import period_recompute

    period, written = scored_period(YEAR, f"{YEAR}年度考核（基准测试）")
    if written or Assessment.objects.filter(period=period, final_grade="").exists():
        print(f"grading the {YEAR} period ({written} rows scored now)…", file=sys.stderr)
        period_recompute(period_id=period.pk)
    return period


# --------------------------------------------------------------------------- the server


def start_gunicorn(port: int) -> subprocess.Popen:
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_HTTPS": "false",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        # the keys the city was written with (config/settings/local.py), so ID numbers decrypt
        "DJANGO_FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "DJANGO_ID_HASH_KEY": settings.ID_HASH_KEY,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the load


def get(conn, path: str, headers: dict) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def worker_pids(server: subprocess.Popen) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
    except OSError:
        return []


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (their CPU is part of a request's cost)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def load(port: int, paths: list[str], headers: dict, clients: int, seconds: float) -> dict:
    """``clients`` threads, each on its own connection (reopened when gunicorn closes it),
    taking the next path of the shared cycle until time is up."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    counter = iter(range(10**9))
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(counter)
            started = time.perf_counter()
            if started >= stop_at:
                break
            try:
                status, _ = get(conn, paths[i % len(paths)], headers)
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                errors[n] += 1
                continue
            latencies[n].append(time.perf_counter() - started)
            if status != 200:
                errors[n] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for per in latencies for x in per)
    if not flat:
        return {"clients": clients, "n": 0, "errors": sum(errors)}

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(p / 100 * len(flat)))] * 1000

    return {
        "clients": clients,
        "n": len(flat),
        "errors": sum(errors),
        "rps": len(flat) / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": flat[-1] * 1000,
    }


def xlsx_times(port: int, path: str, headers: dict) -> tuple[float, float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - started
    rest = response.read()
    total = time.perf_counter() - started
    conn.close()
    if response.status != 200 or not first:
        raise SystemExit(f"xlsx answered {response.status}")
    return first_byte, total, len(first) + len(rest)


# --------------------------------------------------------------------------- the plans

_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


def hottest_queries(paths: list[str], token: str, top: int = 3) -> list[tuple[str, int, float, str]]:
    """Replay ``paths`` in-process, group the statements by their shape (literals out), and
    return the ``top`` by total time: (shape, calls, total ms, the slowest one's SQL)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    groups: dict[str, list] = defaultdict(lambda: [0, 0.0, 0.0, ""])
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
            b"".join(response.streaming_content) if response.streaming else response.content
        for q in captured.captured_queries:
            shape = _LITERAL.sub("?", q["sql"])
            ms = float(q["time"]) * 1000
            g = groups[shape]
            g[0] += 1
            g[1] += ms
            if ms >= g[2]:
                g[2], g[3] = ms, q["sql"]
    ranked = sorted(groups.items(), key=lambda kv: kv[1][1], reverse=True)[:top]
    return [(shape, g[0], g[1], g[3]) for shape, g in ranked]


def declared_in(plan: str) -> list[str]:
    """The indexes a plan uses, each with the migration that declares it (primary keys and
    unique constraints are the tables' own)."""
    out = []
    for name in sorted(set(re.findall(r"(?: using|Bitmap Index Scan on) (\w+)", plan))):
        found = [
            str(path.relative_to(ROOT))
            for path in sorted(ROOT.glob("*/migrations/0*.py"))
            if re.search(rf"[\"']{name}[\"']", path.read_text(encoding="utf-8"))
        ]
        where = ", ".join(found) or (
            "the table's primary key" if name.endswith("_pkey") else "a unique constraint of the model"
        )
        out.append(f"{name}: {where}")
    return out


def prepared_text(sql: str) -> str:
    from django.db import connection

    name = sql.split()[1].split("(")[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else "(not prepared on this connection)"


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    failed = django_on_postgres("bench/api_reports.py")
    if failed is not None:
        return failed
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from assessment.models import Assessment
    from cadres.models import Unit, UnitKind

    demo_city(CADRES)
    period = graded_period()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assessment_assessment")
        cursor.execute("ANALYZE cadres_unit")
        cursor.execute("ANALYZE cadres_cadre")
    reader = User.objects.get(username="api_reader")
    token = Token.objects.get_or_create(user=reader)[0].key
    county = Unit.objects.filter(kind=UnitKind.COUNTY).order_by("path").first()
    rows = Assessment.objects.filter(period=period, unit__path__startswith=county.path).count()
    pages = -(-rows // PAGE_SIZE)
    base = f"/api/v1/grade-reports/?period={period.pk}&unit={county.pk}&page_size={PAGE_SIZE}"
    paths = [f"{base}&page={p}" for p in range(1, pages + 1)]
    random.Random(3).shuffle(paths)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Host": "127.0.0.1"}
    print(f"county {county.name}: {rows:,} rows, {pages} pages of {PAGE_SIZE}; load: {os.getloadavg()}")

    server = start_gunicorn(args.port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        status, body = get(conn, paths[0], headers)
        if status != 200:
            print(f"grade-reports answered {status}: {body[:300]!r}", file=sys.stderr)
            return 1
        load(args.port, paths, headers, WORKERS, 3)  # warm-up: every worker connected and loaded
        workers = worker_pids(server)
        results = []
        for clients in (1, 10, 50):
            database = postgres_pids()
            before, db_before, client_before = (
                cpu_seconds(workers),
                cpu_seconds(database),
                time.process_time(),
            )
            results.append(load(args.port, paths, headers, clients, args.seconds))
            n = max(results[-1]["n"], 1)
            results[-1]["cpu_ms"] = (cpu_seconds(workers) - before) * 1000 / n
            results[-1]["db_ms"] = (cpu_seconds(database) - db_before) * 1000 / n
            results[-1]["client_ms"] = (time.process_time() - client_before) * 1000 / n
        xlsx_path = f"/api/v1/grade-reports/?period={period.pk}&unit={county.pk}&format=xlsx"
        xlsx_headers = {**headers, "Accept": "*/*"}
        xlsx = [xlsx_times(args.port, xlsx_path, xlsx_headers) for _ in range(3)]
    finally:
        stop(server)

    print(
        f"\n{'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'max ms':>7} {'CPU ms/req: worker':>18} {'postgres':>8} {'client':>6}"
    )
    for r in results:
        if not r["n"]:
            print(f"{r['clients']:>7} no answers ({r['errors']} errors)")
            continue
        print(
            f"{r['clients']:>7} {r['n']:>8} {r['errors']:>6} {r['rps']:>7.0f} {r['p50']:>7.1f} "
            f"{r['p95']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.0f} {r['cpu_ms']:>18.1f} {r['db_ms']:>8.1f}"
            f" {r['client_ms']:>6.1f}"
        )
    print("\nxlsx of the county (first byte s / whole s / bytes):")
    for first, total, size in xlsx:
        print(f"  {first:.2f} / {total:.2f} / {size:,}")
    first_byte = statistics.median(x[0] for x in xlsx)
    whole = statistics.median(x[1] for x in xlsx)

    sample = paths[:20] + [paths[0].replace(f"&page={paths[0].rsplit('=', 1)[1]}", "") + "&page=1"]
    print("\nThe three statements with the most time over 21 replayed page requests:")
    for n, (_shape, calls, total_ms, sql) in enumerate(hottest_queries(sample, token), start=1):
        print(f"\n--- {n}. {calls} calls, {total_ms:.1f} ms in all\n{sql}\n")
        if sql.startswith("EXECUTE "):  # core.prepared: show what was prepared
            print(f"prepared as: {prepared_text(sql)}\n")
        plan = explain(sql)
        print(plan)
        print("indexes used: " + "; ".join(declared_in(plan)))

    c1, c10, c50 = results
    print(
        f"RESULT api_p50_ms_c10={c10.get('p50', float('nan')):.1f} api_p95_ms_c10={c10.get('p95', float('nan')):.1f} "
        f"api_rps_c10={c10.get('rps', 0):.0f} api_p95_ms_c50={c50.get('p95', float('nan')):.1f} "
        f"xlsx_county_first_byte_s={first_byte:.2f} xlsx_county_s={whole:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
