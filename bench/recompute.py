"""Benchmark: recompute the annual grades of 100,000 cadres on PostgreSQL.

    .venv/bin/python bench/recompute.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, uses the database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, building it (``seed_demo --cadres 100000``, as
bench/seed_demo.py does) unless it already holds the demo city. Opens an annual period with a
score for every cadre (written once and reused), clears the computed results so every row is
written again, then times one recomputation of the whole period through the same service the
Celery job calls. The last line is ``RESULT recompute_100k_s=<seconds> queries=<count>``.
The target is 5 seconds on a 2-core machine.
"""

import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB = "cadre_bench"
CADRES = 100_000
YEAR = 2025
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


def ensure_database(server: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if url is None:
        ensure_database(DEFAULT_SERVER, DEFAULT_DB)
        url = os.environ["DATABASE_URL"] = f"{DEFAULT_SERVER}/{DEFAULT_DB}"
    if urlparse(url).scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        print(f"bench/recompute.py needs PostgreSQL; DATABASE_URL is {url}", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from assessment.models import Assessment, Period, PeriodStatus
    from assessment.services.periods import period_create
    from assessment.services.recompute import period_recompute
    from cadres import demo
    from cadres.models import Cadre
    from core.bulk import bulk_insert

    call_command("migrate", verbosity=0)
    if not demo.demo_present():
        print("building the demo city with 100,000 cadres (once)…", file=sys.stderr)
        call_command("seed_demo", cadres=CADRES, no_assessments=True)
    cadre_count = Cadre.objects.count()

    period = Period.objects.filter(year=YEAR, quarter__isnull=True).first()
    if period is None:
        staff = User.objects.get(username="zzb_staff")
        period = period_create(actor=staff, name=f"{YEAR}年度考核（基准测试）", year=YEAR)
    period.status = PeriodStatus.GRADING
    period.save()
    missing = list(Cadre.objects.exclude(assessments__period=period).values_list("id", "unit_id"))
    rng = random.Random(7)
    rows = (
        {
            "period_id": period.pk,
            "cadre_id": c,
            "unit_id": u,
            "scores": {k: rng.randint(55, 100) for k in CODES},
        }
        for c, u in missing
    )
    written = bulk_insert(Assessment, rows)
    if written:
        print(f"scored {written} cadres", file=sys.stderr)
    # Start from nothing computed, so the timed run grades and writes every row.
    Assessment.objects.filter(period=period).update(
        total_score=None,
        rank_in_unit=None,
        computed_grade="",
        final_grade="",
        grade_code=None,
        explanation=[],
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assessment_assessment")

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        summary = period_recompute(period_id=period.pk)
    elapsed = time.perf_counter() - started
    print(
        f"cadres={cadre_count} assessments={summary['assessments']} changed={summary['changed']} "
        f"teams={summary['teams']}",
        file=sys.stderr,
    )
    print(f"RESULT recompute_100k_s={elapsed:.2f} queries={len(queries.captured_queries)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
