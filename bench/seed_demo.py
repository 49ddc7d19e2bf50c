"""Benchmark: build the demo city with 100,000 cadres on PostgreSQL.

    .venv/bin/python bench/seed_demo.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, (re)creates a fresh database
``cadre_bench`` on postgres://postgres@127.0.0.1:5432. Migrates, runs
``seed_demo --cadres 100000`` and prints ``RESULT seed_100k_s=<seconds>`` as its last line.
The target is under 60 seconds on a 2-core machine.
"""

import sys
import time

from _setup import django_on_postgres

CADRES = 100_000


def main() -> int:
    failed = django_on_postgres("bench/seed_demo.py", fresh=True)
    if failed is not None:
        return failed
    from django.core.management import call_command

    from cadres import demo

    call_command("migrate", verbosity=0)
    if demo.demo_present():
        print("the demo city already exists in this database; use a fresh one", file=sys.stderr)
        return 2
    started = time.perf_counter()
    call_command("seed_demo", cadres=CADRES, no_assessments=True)
    elapsed = time.perf_counter() - started
    print(f"RESULT seed_100k_s={elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
