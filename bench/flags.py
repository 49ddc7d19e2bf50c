"""Benchmark: evaluate the 不适宜担任现职 flag rules over 100,000 cadres on PostgreSQL.

    .venv/bin/python bench/flags.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the demo database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, built like bench/recompute.py does unless it already holds
the demo city. Once, it writes a record that makes every default rule fire for thousands of
cadres, in periods the other benchmarks do not use (published annual periods 2020–2023; they
use 2024 and 2025, which stay unpublished): four years of grades and 民主测评 votes for every
cadre (runs of 基本称职, a 不称职 latest year, shares of 不称职票 over a third or a fifth and
some exactly at the line), 赛马 standings two years running, 约谈 and 诫勉 this year (and pairs
split over the turn of the year, and ones decided 可容 by 容错纠错), recall cases with failed follow-ups and
cadres recalled twice, and proposals left waiting in units with a main leader.

Then it deletes the flags of earlier runs and times ``flags_evaluate`` twice through the same
service the job calls: the first run raises every flag, the second must write nothing (no
INSERT, UPDATE, DELETE or COPY among its queries, and the flags table unchanged). The last
line is ``RESULT flags_100k_s=<first run, s> flags=<flags raised> second_s=<s>
second_writes=<write statements in the second run>``. Target: 10 seconds on a 2-core machine.
"""

import datetime
import random
import sys
import time
from collections import Counter

from _setup import demo_city, django_on_postgres

CADRES = 100_000
YEARS = [2020, 2021, 2022, 2023]
MARK = "（预警基准测试）"


def seed(rng: random.Random) -> None:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from assessment.models import Assessment, Period, PeriodStatus
    from assessment.services.periods import period_create
    from cadres.models import Cadre, TeamMembership
    from core.bulk import bulk_insert
    from recall.models import OPEN_STAGES, RecallCase, TrackStanding
    from supervision.models import Exemption, Interview

    staff = User.objects.get(username="zzb_staff")
    cadres = list(Cadre.objects.order_by("id").values_list("id", "unit_id"))
    unit_of = dict(cadres)
    ids = [c for c, _ in cadres]
    rng.shuffle(ids)
    # Disjoint groups, one per behaviour (a cadre in two groups would fire two rules: fine, but
    # the counts below are easier to read this way).
    groups, start = {}, 0
    for name, size in [
        ("incompetent", 2500),
        ("basic_run", 3000),
        ("basic_split", 3000),
        ("third", 2500),
        ("third_exact", 1000),
        ("fifth_run", 2500),
        ("talks", 3000),
        ("talks_split", 2000),
        ("talks_exempt", 1000),
        ("failed", 2500),
        ("twice", 2500),
    ]:
        groups[name] = ids[start : start + size]
        start += size
    sets = {k: set(v) for k, v in groups.items()}

    periods = {}
    for year in YEARS:
        period = Period.objects.filter(year=year, quarter__isnull=True).first() or period_create(
            actor=staff, name=f"{year}年度干部考核{MARK}", year=year
        )
        Period.objects.filter(pk=period.pk).update(status=PeriodStatus.PUBLISHED, published_at=timezone.now())
        Assessment.objects.filter(period=period).delete()
        periods[year] = period.pk

    def grade_of(cadre: int, year: int) -> str:
        if cadre in sets["incompetent"] and year == 2023:
            return "不称职"
        if cadre in sets["basic_run"] and year in (2022, 2023):
            return "基本称职"
        if cadre in sets["basic_split"] and year in (2021, 2023):
            return "基本称职"
        return "优秀" if cadre % 7 == 0 else "称职"

    def votes_of(cadre: int, year: int) -> tuple[int, int]:
        total = 30 + cadre % 31
        if cadre in sets["third"] and year == 2023:
            return total // 3 + 2, total
        if cadre in sets["third_exact"] and year == 2023:
            return 10, 30  # exactly a third: not more
        if cadre in sets["fifth_run"] and year in (2022, 2023):
            return total // 5 + 1, total  # over a fifth, not over a third
        return cadre % 3, total

    def rows(year):
        for cadre, unit in cadres:
            final = grade_of(cadre, year)
            incompetent, total = votes_of(cadre, year)
            abstain = 1 if total > 40 else 0
            yield (
                periods[year],
                cadre,
                unit,
                final,
                final,
                0,
                total - incompetent - abstain,
                0,
                incompetent,
                abstain,
            )

    fields = [
        "period_id",
        "cadre_id",
        "unit_id",
        "computed_grade",
        "final_grade",
        "votes_excellent",
        "votes_competent",
        "votes_basic",
        "votes_incompetent",
        "votes_abstain",
    ]
    for year in YEARS:
        bulk_insert(Assessment, rows(year), fields=fields)
        print(f"  {year}: {len(cadres):,} grades and votes", file=sys.stderr)

    # 赛马: groups of 20 in a track; half the groups keep their last place from 2022 to 2023.
    TrackStanding.objects.filter(period_id__in=periods.values()).delete()
    field_ids = ids[start : start + 60_000]
    standings = []
    tracks = ["rural", "project", "enterprise", "governance"]
    for g in range(0, len(field_ids), 20):
        group = field_ids[g : g + 20]
        track = tracks[(g // 20) % 4]
        order_2022 = group[:]
        rng.shuffle(order_2022)
        order_2023 = group[:]
        rng.shuffle(order_2023)
        if (g // 20) % 2 == 0:
            order_2023.remove(order_2022[-1])
            order_2023.append(order_2022[-1])
        for year, order in ((2022, order_2022), (2023, order_2023)):
            for position, cadre in enumerate(order, start=1):
                standings.append((periods[year], track, cadre, position, len(order)))
    bulk_insert(TrackStanding, standings, fields=["period_id", "track", "cadre_id", "position", "of_total"])
    print(f"  {len(standings):,} 赛马 standings", file=sys.stderr)

    this_year = timezone.localdate().year
    talks = []

    def talk(cadre, kind, day):
        status = "conducted" if kind == "yuetan" else "recorded"
        talks.append(
            {
                "kind": kind,
                "subject_type": "cadre",
                "cadre_id": cadre,
                "unit_id": unit_of[cadre],
                "status": status,
                "proposed_by_id": staff.pk,
                "proposed_on": day,
                "conducted_on": day,
                "record": "基准测试谈话记录",
            }
        )

    for cadre in groups["talks"]:
        talk(cadre, "yuetan", datetime.date(this_year, 2, 10))
        talk(cadre, "admonish", datetime.date(this_year, 5, 20))
    for cadre in groups["talks_split"]:
        talk(cadre, "yuetan", datetime.date(this_year - 1, 12, 20))
        talk(cadre, "admonish", datetime.date(this_year, 1, 8))
    for cadre in groups["talks_exempt"]:
        talk(cadre, "yuetan", datetime.date(this_year, 3, 1))
        talk(cadre, "yuetan", datetime.date(this_year, 4, 1))
    bulk_insert(Interview, talks)
    # the second 约谈 of each is decided 可容 (容错纠错): the rule must not count it
    tolerated_on = datetime.date(this_year, 4, 1)
    decisions = [
        {
            "matter_type": "interview",
            "matter_id": pk,
            "cadre_id": cadre,
            "unit_id": unit,
            "intent": "negligent",
            "motive": "public",
            "nature": "trial",
            "verdict": "tolerable",
            "basis": "经认定属于可容错情形",
            "decided_by_id": staff.pk,
            "decided_on": tolerated_on,
            "created_at": timezone.now(),
            "updated_at": timezone.now(),
        }
        for pk, cadre, unit in Interview.objects.filter(
            cadre_id__in=groups["talks_exempt"], kind="yuetan", conducted_on=tolerated_on
        ).values_list("pk", "cadre_id", "unit_id")
    ]
    bulk_insert(Exemption, decisions)
    print(f"  {len(talks):,} talks ({len(decisions):,} decided 可容)", file=sys.stderr)

    today = timezone.localdate()
    busy = set(RecallCase.objects.filter(stage__in=OPEN_STAGES).values_list("cadre_id", flat=True))
    cases = []

    def recall(cadre, *, stage="closed", proposed_ago=400, approved_ago=None, **extra):
        cases.append(
            {
                "cadre_id": cadre,
                "unit_id": unit_of[cadre],
                "level": "ke",
                "source": "situation",
                "cause": "lax",
                "reason": "基准测试：工作散慢",
                "stage": stage,
                "proposed_by_id": staff.pk,
                "proposed_on": today - datetime.timedelta(days=proposed_ago),
                "approved_on": None
                if approved_ago is None
                else today - datetime.timedelta(days=approved_ago),
                **extra,
            }
        )

    for cadre in groups["failed"]:
        ago = rng.randint(30, 1000)
        recall(
            cadre,
            proposed_ago=ago + 30,
            approved_ago=ago + 25,
            followup_result="failed",
            followup_on=today - datetime.timedelta(days=ago),
        )
    for cadre in groups["twice"]:
        recall(cadre, proposed_ago=900, approved_ago=890, followup_result="passed")
        recall(cadre, proposed_ago=200, approved_ago=190, followup_result="passed")
    leaders = dict(TeamMembership.objects.filter(is_main_leader=True).values_list("unit_id", "cadre_id"))
    led = [
        c
        for c in ids[start + 60_000 :]
        if unit_of[c] in leaders and leaders[unit_of[c]] != c and c not in busy
    ]
    for n, cadre in enumerate(led[:3000]):
        recall(cadre, stage="proposed", proposed_ago=5 if n % 3 == 0 else rng.randint(16, 90))
    bulk_insert(RecallCase, cases)
    print(f"  {len(cases):,} recall cases ({len(leaders):,} units with a main leader)", file=sys.stderr)
    with connection.cursor() as cursor:
        for table in (
            "assessment_assessment",
            "recall_trackstanding",
            "supervision_interview",
            "recall_recallcase",
            "recall_flag",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def main() -> int:
    failed = django_on_postgres("bench/flags.py")
    if failed is not None:
        return failed
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessment.models import Period
    from cadres.models import Cadre
    from recall.flags import flags_evaluate
    from recall.models import Flag

    demo_city(CADRES)
    if not Period.objects.filter(name__endswith=MARK).exists():
        print("writing the record the flag rules read (once)…", file=sys.stderr)
        seed(random.Random(15))
    Flag.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE recall_flag")

    started = time.perf_counter()
    first = flags_evaluate()
    elapsed = time.perf_counter() - started
    by_rule = Counter(Flag.objects.values_list("rule_key", flat=True))
    print(f"cadres={Cadre.objects.count():,} first run: {first}", file=sys.stderr)
    for key, count in sorted(by_rule.items()):
        print(f"  {key}: {count:,}", file=sys.stderr)

    def table():
        return list(Flag.objects.order_by("id").values_list("id", "status", "anchor", "facts", "closed_at"))

    before = table()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        second = flags_evaluate()
    second_s = time.perf_counter() - started
    written = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]
    unchanged = table() == before
    print(
        f"second run: {second} queries={len(queries.captured_queries)} writes={len(written)} "
        f"flags unchanged={unchanged}",
        file=sys.stderr,
    )
    print(
        f"RESULT flags_100k_s={elapsed:.2f} flags={first['raised']} second_s={second_s:.2f} "
        f"second_writes={len(written) + (0 if unchanged else 1)}"
    )
    return 0 if unchanged and not written else 1


if __name__ == "__main__":
    sys.exit(main())
