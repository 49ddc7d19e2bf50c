"""What every benchmark does first: pick a PostgreSQL database and start Django on it.

``django_on_postgres(script, fresh=...)`` uses ``DATABASE_URL`` when it is set (it must be
PostgreSQL); otherwise the database ``cadre_bench`` on postgres://postgres@127.0.0.1:5432,
created when missing (``fresh=True`` drops and re-creates it). Celery runs in-process (no
broker). Returns None when Django is ready, or an exit code after saying why it is not.
``demo_city(cadres)`` migrates and builds the demo city once, unless it is already there.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB = "cadre_bench"


def _prepare_database(server: str, name: str, fresh: bool) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        if fresh:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def django_on_postgres(script: str, *, fresh: bool = False) -> int | None:
    url = os.environ.get("DATABASE_URL")
    if url is None:
        _prepare_database(DEFAULT_SERVER, DEFAULT_DB, fresh)
        url = os.environ["DATABASE_URL"] = f"{DEFAULT_SERVER}/{DEFAULT_DB}"
    if urlparse(url).scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        print(f"{script} needs PostgreSQL; DATABASE_URL is {url}", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    return None


def demo_city(cadres: int) -> None:
    from django.core.management import call_command

    from cadres import demo

    call_command("migrate", verbosity=0)
    if not demo.demo_present():
        print(f"building the demo city with {cadres:,} cadres (once)…", file=sys.stderr)
        call_command("seed_demo", cadres=cadres, no_assessments=True)


SCORE_CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


def scored_period(year: int, name: str):
    """The annual period of ``year`` (created by zzb_staff as ``name`` when missing), open for
    grading, with every cadre that has no assessment in it given random scores (seeded, so every
    run scores alike). Returns the period and how many cadres were scored now."""
    import random

    from accounts.models import User
    from assessment.models import Assessment, Period, PeriodStatus
    from assessment.services.periods import period_create
    from cadres.models import Cadre
    from core.bulk import bulk_insert

    period = Period.objects.filter(year=year, quarter__isnull=True).first()
    if period is None:
        period = period_create(actor=User.objects.get(username="zzb_staff"), name=name, year=year)
    if period.status != PeriodStatus.GRADING:
        Period.objects.filter(pk=period.pk).update(status=PeriodStatus.GRADING)
        period.status = PeriodStatus.GRADING
    # read first: the COPY of bulk_insert holds the connection
    missing = list(Cadre.objects.exclude(assessments__period=period).values_list("id", "unit_id"))
    rng = random.Random(7)
    written = bulk_insert(
        Assessment,
        (
            {
                "period_id": period.pk,
                "cadre_id": c,
                "unit_id": u,
                "scores": {k: rng.randint(55, 100) for k in SCORE_CODES},
            }
            for c, u in missing
        ),
    )
    return period, written


def cleared_results(period) -> None:
    """Nothing computed left in ``period`` (totals, ranks, grades, explanations; team results
    and unit quotas), so a timed recomputation grades and writes every row; statistics
    refreshed after."""
    from django.db import connection

    from assessment.models import Assessment, TeamAssessment, UnitQuota

    Assessment.objects.filter(period=period).update(
        total_score=None,
        rank_in_unit=None,
        computed_grade="",
        final_grade="",
        grade_code=None,
        explanation=[],
    )
    TeamAssessment.objects.filter(period=period).delete()
    UnitQuota.objects.filter(period=period).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assessment_assessment")
