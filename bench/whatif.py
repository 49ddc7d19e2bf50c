"""Benchmark: the policy what-if (试算) over one county and over the whole 100,000-cadre city.

    .venv/bin/python bench/whatif.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the demo database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, built like bench/recompute.py does unless it already holds
the demo city. It reads the annual period bench/recompute.py writes (a score for every cadre;
written here first, and graded once, if missing), then times ``whatif_run`` through the same
service the page and the API call: the city's staff proposing new thresholds (优秀线 90 → 85,
称职线 70 → 75), once for the largest county and once for the whole city (the rule on the city's
own unit).
Each is run ``RUNS`` times; the figures are the medians. Nothing is written (checked: no row
of the period, no audit entry and no job changes).

The last line is ``RESULT whatif_county_s=<s> whatif_city_s=<s> county_python_cpu_s=<s>
city_python_cpu_s=<s>`` (wall-clock medians, then the CPU time of this process: what a busy
machine changes least; the rest is the database's work and waiting). Targets on a 2-core
machine: 2 seconds for a county, 10 for the city.
"""

import statistics
import sys
import time

from _setup import demo_city, django_on_postgres, scored_period

CADRES = 100_000
YEAR = 2025
RUNS = 5
# 优秀线 90 → 85 and 称职线 70 → 75: thousands of grades change, 优秀 places fill up
RULE = {
    "kind": "thresholds",
    "key": "",
    "params": {"excellent_min": 85, "competent_min": 75, "basic_min": 60},
}


def graded_period():
    """The annual period of bench/recompute.py, every cadre scored and graded once."""
    from assessment.services.recompute import period_recompute

    period, written = scored_period(YEAR, f"{YEAR}年度考核（基准测试）")
    if written or period.computed_at is None:
        print(f"scored {written} cadres; grading the period once…", file=sys.stderr)
        period_recompute(period_id=period.pk)
        period.refresh_from_db()
    return period


def state(period) -> tuple:
    from django.db.models import Max

    from assessment.models import Assessment, PolicyRule, UnitQuota
    from audit.models import AuditEntry
    from core.models import Job

    return (
        Assessment.objects.filter(period=period).aggregate(m=Max("updated_at"))["m"],
        UnitQuota.objects.filter(period=period).aggregate(m=Max("updated_at"))["m"],
        PolicyRule.objects.count(),
        AuditEntry.objects.count(),
        Job.objects.count(),
    )


def timed(actor, period, unit) -> tuple[float, dict]:
    from assessment.services.whatif import whatif_run

    times, cpu, result = [], [], None
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = whatif_run(actor=actor, period=period, rules=[{**RULE, "unit": unit}])
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(
        f"{result['unit_name']}: {result['assessed']} assessed, {result['changed_count']} changed, "
        f"{result['excellent_in_count']} into 优秀, {result['quotas_changed_count']} quotas; "
        f"runs {', '.join(f'{t:.2f}' for t in times)} s (this process's CPU {', '.join(f'{t:.2f}' for t in cpu)} s)",
        file=sys.stderr,
    )
    return statistics.median(times), statistics.median(cpu)


def main() -> int:
    failed = django_on_postgres("bench/whatif.py")
    if failed is not None:
        return failed
    from accounts.models import User
    from cadres.models import Cadre, Unit, UnitKind

    demo_city(CADRES)
    period = graded_period()
    staff = User.objects.get(username="zzb_staff")
    city = staff.unit
    counties = Unit.objects.filter(kind=UnitKind.COUNTY, path__startswith=city.path).order_by("path")
    county = max(counties, key=lambda c: Cadre.objects.filter(unit__path__startswith=c.path).count())
    before = state(period)
    county_s, county_cpu = timed(staff, period, county)
    city_s, city_cpu = timed(staff, period, city)
    if state(period) != before:
        print("the what-if wrote something", file=sys.stderr)
        return 1
    print(
        f"RESULT whatif_county_s={county_s:.2f} whatif_city_s={city_s:.2f} "
        f"county_python_cpu_s={county_cpu:.2f} city_python_cpu_s={city_cpu:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
