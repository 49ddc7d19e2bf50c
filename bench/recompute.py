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

import sys
import time

from _setup import cleared_results, demo_city, django_on_postgres, scored_period

CADRES = 100_000
YEAR = 2025


def main() -> int:
    failed = django_on_postgres("bench/recompute.py")
    if failed is not None:
        return failed
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessment.services.recompute import period_recompute
    from cadres.models import Cadre

    demo_city(CADRES)
    cadre_count = Cadre.objects.count()

    period, written = scored_period(YEAR, f"{YEAR}年度考核（基准测试）")
    if written:
        print(f"scored {written} cadres", file=sys.stderr)
    cleared_results(period)  # the timed run grades and writes every row

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
