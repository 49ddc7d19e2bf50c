"""Benchmark: build the demo city with 100,000 cadres on PostgreSQL.

    .venv/bin/python bench/seed_demo.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, (re)creates a fresh database
``cadre_bench`` on postgres://postgres@127.0.0.1:5432. Migrates, runs
``seed_demo --cadres 100000`` and prints ``RESULT seed_100k_s=<seconds>`` as its last line.
The target is under 60 seconds on a 2-core machine.
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB = "cadre_bench"
CADRES = 100_000


def fresh_database(server: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if url is None:
        fresh_database(DEFAULT_SERVER, DEFAULT_DB)
        url = os.environ["DATABASE_URL"] = f"{DEFAULT_SERVER}/{DEFAULT_DB}"
    if urlparse(url).scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        print(f"bench/seed_demo.py needs PostgreSQL; DATABASE_URL is {url}", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
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
