"""Benchmark: the home page's dashboard for zzb_staff on the 100,000-cadre demo city.

    .venv/bin/python bench/dashboard.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, building the demo city (as bench/seed_demo.py does) unless it
is already there. Renders the home page through the Django test client (every panel's
aggregates and the templates included) once to warm up, then five times; also times the
dashboard's panels alone (``core.registry.dashboard_panels`` for the same user: every panel's
aggregates) five times. Statistics are refreshed first (``ANALYZE``): a freshly seeded city has
none, and the planner then joins 100,000 rows by nested loops. The last line is
``RESULT dashboard_ms=<median of the panels> page_ms=<median of the whole page> queries=<count>
panels=<count>``. The target is 300 ms.
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
    client.get("/")  # warm-up: connection, templates, caches
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            print(f"home page answered {response.status_code}", file=sys.stderr)
            return 1
    panels = [p.key for p, _ in response.context["panels"]]
    panel_times = []
    for _ in range(RUNS):
        user = User.objects.get(pk=staff.pk)  # a fresh user: nothing cached from the last run
        start = time.perf_counter()
        registry.dashboard_panels(user)
        panel_times.append((time.perf_counter() - start) * 1000)
    print(f"cadres: {Cadre.objects.count():,}; panels: {', '.join(panels)}")
    print(f"page runs (ms): {', '.join(f'{t:.0f}' for t in times)}")
    print(f"panel runs (ms): {', '.join(f'{t:.0f}' for t in panel_times)}")
    print(
        f"RESULT dashboard_ms={statistics.median(panel_times):.0f} page_ms={statistics.median(times):.0f} "
        f"queries={len(queries)} panels={len(panels)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
