"""Benchmark: the home page's dashboard for zzb_staff on the 100,000-cadre demo city.

    .venv/bin/python bench/dashboard.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, building the demo city (as bench/seed_demo.py does) unless it
is already there. Statistics are refreshed first (``ANALYZE``): a freshly seeded city has none,
and the planner then joins 100,000 rows by nested loops.

The page keeps its figures as data (core/figures.py, ``DASHBOARD_FIGURES_SECONDS``): the panels'
charts and the 关爱提醒 counts are counted once and read back until they expire or an audited
write forgets them. Through the Django test client (templates included), after one warm-up:

- ``dashboard_ms``: the page as a user gets it between writes (kept figures read back), median
  of five; the target is 300 ms;
- ``cold_ms``: the page with every figure counted afresh (``/?refresh=1``: the first visit after
  a write or after they expire), median of five;
- ``panels_ms``: the panels' aggregates alone, counted afresh, median of five.

The last line is ``RESULT dashboard_ms=… cold_ms=… panels_ms=… queries=<of the kept page> panels=<count>``.
"""

import statistics
import sys
import time

from _setup import demo_city, django_on_postgres

CADRES = 100_000
RUNS = 5


def main() -> int:
    failed = django_on_postgres("bench/dashboard.py")
    if failed is not None:
        return failed
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from accounts.models import User
    from cadres.models import Cadre
    from core import registry

    demo_city(CADRES)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_test_environment()  # the response carries its context (panels count)
    staff = User.objects.get(username="zzb_staff")
    client = Client()
    client.force_login(staff)
    client.get("/")  # warm-up: connection, templates, caches; the figures are kept from here

    def page(path: str) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        page.response = response
        return elapsed, len(queries)

    cold = [page("/?refresh=1")[0] for _ in range(RUNS)]
    kept = [page("/") for _ in range(RUNS)]
    panels = [p.key for p, _ in page.response.context["panels"]]
    panel_times = []
    for _ in range(RUNS):
        user = User.objects.get(pk=staff.pk)  # a fresh user: nothing cached from the last run
        start = time.perf_counter()
        registry.dashboard(user, refresh=True)
        panel_times.append((time.perf_counter() - start) * 1000)
    print(f"cadres: {Cadre.objects.count():,}; panels: {', '.join(panels)}")
    print(f"page with kept figures (ms): {', '.join(f'{t:.0f}' for t, _ in kept)}")
    print(f"page counted afresh (ms): {', '.join(f'{t:.0f}' for t in cold)}")
    print(f"panels counted afresh (ms): {', '.join(f'{t:.0f}' for t in panel_times)}")
    print(
        f"RESULT dashboard_ms={statistics.median(t for t, _ in kept):.0f} cold_ms={statistics.median(cold):.0f} "
        f"panels_ms={statistics.median(panel_times):.0f} queries={kept[-1][1]} panels={len(panels)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
