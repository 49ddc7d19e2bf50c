"""Benchmark: compute every 三挂钩 list of a 100,000-cadre published annual period on PostgreSQL.

    .venv/bin/python bench/incentives.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the demo database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, built like bench/recompute.py does unless it already holds
the demo city. It reads the world bench/flags.py writes (published annual grades 2020–2023 for
every cadre, written first if missing) and computes the lists of 2023. Once, it adds what the
lists read beyond grades, for that year: bonus bases (the city and each county), township
党政正职 runs around eight years, front-line and 第一书记 posts, 约谈 and 诫勉 (some decided
可容), unverified clues, sanctions whose influence reaches the year or ends just before it,
bonus withheld by recall cases (in part and in full), open flags, and 任现职级时间 where missing.

Then it deletes the period's entries and times ``lists_compute`` twice through the same service
the job calls: the first run writes every entry, the second must write nothing (no INSERT,
UPDATE, DELETE or COPY among its queries, and the entries unchanged). The last line is
``RESULT incentives_100k_s=<first run, s> entries=<entries written> second_s=<s>
second_writes=<write statements in the second run> python_cpu_s=<s> second_python_cpu_s=<s>``
(the CPU time of this process in each run: what a busy machine changes least; the rest is the
server's work and waiting). Target: 10 seconds on a 2-core machine.
"""

import datetime
import os
import random
import sys
import time
from collections import Counter
from decimal import Decimal

from _setup import demo_city, django_on_postgres

CADRES = 100_000
YEAR = 2023
MARK = "（激励名单基准测试）"


def seed(rng: random.Random, period) -> None:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from cadres.models import Cadre, PostKind, PostRecord, Rank, Unit, UnitKind
    from core.bulk import bulk_insert, bulk_update_rows
    from incentives.models import BonusBase
    from recall.models import RecallCase, RecallStep
    from supervision.models import Exemption, Interview, ProblemClue, Sanction

    staff = User.objects.get(username="zzb_staff")
    now = timezone.now()
    cadres = list(Cadre.objects.order_by("id").values_list("id", "unit_id", "rank", "rank_start_date"))
    unit_of = {c: u for c, u, _, _ in cadres}
    ids = [c for c, _, _, _ in cadres]
    rng.shuffle(ids)
    groups, start = {}, 0
    for name, size in [
        ("principal", 3000),
        ("frontline", 15000),
        ("secretary", 4000),
        ("talks", 3000),
        ("talks_exempt", 1000),
        ("clues", 2000),
        ("sanctions", 2000),
        ("withheld", 3000),
    ]:
        groups[name] = ids[start : start + size]
        start += size

    # 任现职级时间 where the demo city has none (a city built before the field existed)
    missing = [
        (pk, datetime.date(2015 + pk % 9, 1 + pk % 12, 1))
        for pk, _, rank, since in cadres
        if since is None and rank != Rank.NONE
    ]
    bulk_update_rows(Cadre, ["rank_start_date"], missing)
    print(f"  {len(missing):,} 任现职级时间 filled in", file=sys.stderr)

    root = Unit.objects.filter(depth=1).first()
    counties = list(Unit.objects.filter(kind=UnitKind.COUNTY).values_list("id", flat=True))
    bulk_insert(
        BonusBase,
        [
            (period.pk, root.pk, Decimal("24000.00"), "全市统一基数"),
            *((period.pk, c, Decimal("26500.50"), "") for c in counties),
        ],
        fields=["period_id", "unit_id", "amount", "note"],
        constants={"set_by": staff.pk},
    )

    posts = []
    for n, cadre in enumerate(groups["principal"]):
        # runs of 6 to 10 years up to the end of 2023, a third of them in two posts
        first = datetime.date(2014 + n % 5, 1 + n % 12, 1 + n % 28)
        if n % 3 == 0:
            posts.append(
                (
                    cadre,
                    unit_of[cadre],
                    "某镇",
                    "镇长",
                    PostKind.TOWNSHIP_PRINCIPAL,
                    first,
                    datetime.date(2019, 3, 31),
                )
            )
            posts.append(
                (
                    cadre,
                    unit_of[cadre],
                    "某镇",
                    "党委书记",
                    PostKind.TOWNSHIP_PRINCIPAL,
                    datetime.date(2019, 4, 8),
                    None,
                )
            )
        else:
            posts.append(
                (cadre, unit_of[cadre], "某镇", "党委书记", PostKind.TOWNSHIP_PRINCIPAL, first, None)
            )
    for n, cadre in enumerate(groups["frontline"]):
        first = datetime.date(2016 + n % 6, 1 + n % 12, 1)
        kind = PostKind.TOWNSHIP_FRONTLINE if n % 2 else PostKind.PROJECT_FRONTLINE
        posts.append(
            (
                cadre,
                None,
                "重点项目指挥部",
                "工作专班成员",
                kind,
                first,
                first + datetime.timedelta(days=200 + n % 600),
            )
        )
    for n, cadre in enumerate(groups["secretary"]):
        first = datetime.date(2018 + n % 5, 3, 1)
        posts.append(
            (
                cadre,
                None,
                "某村",
                "驻村第一书记",
                PostKind.FIRST_SECRETARY,
                first,
                first + datetime.timedelta(days=730),
            )
        )
    bulk_insert(
        PostRecord,
        posts,
        fields=["cadre_id", "unit_id", "unit_name", "title", "kind", "start_date", "end_date"],
    )
    print(f"  {len(posts):,} posts", file=sys.stderr)

    talks = []
    for n, cadre in enumerate(groups["talks"] + groups["talks_exempt"]):
        kind = "yuetan" if n % 2 else "admonish"
        # some on the year's last day, some on the next year's first: only the first count
        day = [datetime.date(YEAR, 12, 31), datetime.date(YEAR + 1, 1, 1), datetime.date(YEAR, 6, 1)][n % 3]
        talks.append(
            {
                "kind": kind,
                "subject_type": "cadre",
                "cadre_id": cadre,
                "unit_id": unit_of[cadre],
                "status": "conducted" if kind == "yuetan" else "recorded",
                "proposed_by_id": staff.pk,
                "proposed_on": day,
                "conducted_on": day,
                "record": f"基准测试谈话记录{MARK}",
            }
        )
    bulk_insert(Interview, talks)
    exempt = set(groups["talks_exempt"])
    tolerated = [
        (
            "interview",
            pk,
            cadre,
            unit_of[cadre],
            "negligent",
            "public",
            "trial",
            "tolerable",
            "经认定属于可容错情形",
            staff.pk,
            datetime.date(YEAR + 1, 2, 1),
            now,
            now,
        )
        for pk, cadre in Interview.objects.filter(record=f"基准测试谈话记录{MARK}").values_list(
            "id", "cadre_id"
        )
        if cadre in exempt
    ]
    bulk_insert(
        Exemption,
        tolerated,
        fields=[
            "matter_type",
            "matter_id",
            "cadre_id",
            "unit_id",
            "intent",
            "motive",
            "nature",
            "verdict",
            "basis",
            "decided_by_id",
            "decided_on",
            "created_at",
            "updated_at",
        ],
    )
    print(f"  {len(talks):,} talks ({len(tolerated):,} decided 可容)", file=sys.stderr)

    bulk_insert(
        ProblemClue,
        [
            (
                cadre,
                "petition",
                datetime.date(YEAR, 9, 1),
                "基准测试线索",
                "pending" if n % 2 else "unfounded",
                now,
            )
            for n, cadre in enumerate(groups["clues"])
        ],
        fields=["cadre_id", "source", "received_on", "summary", "status", "created_at"],
        constants={"created_by": staff.pk},
    )
    bulk_insert(
        Sanction,
        [
            (
                cadre,
                "demerit",
                datetime.date(YEAR - 1, 1, 1) if n % 2 else datetime.date(YEAR - 2, 12, 31),
                "基准测试处分",
                now,
            )
            for n, cadre in enumerate(groups["sanctions"])
        ],
        fields=["cadre_id", "kind", "decided_on", "reason", "created_at"],
        constants={"created_by": staff.pk},
    )
    cases = [
        {
            "cadre_id": cadre,
            "unit_id": unit_of[cadre],
            "level": "ke",
            "source": "situation",
            "cause": "lax",
            "reason": f"基准测试：扣发绩效{MARK}",
            "stage": "closed",
            "proposed_by_id": staff.pk,
            "proposed_on": datetime.date(YEAR, 3, 1),
            "bonus_withheld": Decimal("1234.56") if n % 5 else Decimal("30000.00"),
            "bonus_withheld_full": n % 5 == 0,
        }
        for n, cadre in enumerate(groups["withheld"])
    ]
    bulk_insert(RecallCase, cases)
    steps = [
        (pk, "penalize", "扣发绩效奖励", staff.pk, now, datetime.date(YEAR, 4, 1), {})
        for pk in RecallCase.objects.filter(reason=f"基准测试：扣发绩效{MARK}").values_list("id", flat=True)
    ]
    bulk_insert(RecallStep, steps, fields=["case_id", "step", "label", "actor_id", "at", "on", "data"])
    print(f"  {len(steps):,} withholdings", file=sys.stderr)
    with connection.cursor() as cursor:
        for table in (
            "cadres_cadre",
            "cadres_postrecord",
            "supervision_interview",
            "supervision_exemption",
            "supervision_problemclue",
            "supervision_sanction",
            "recall_recallcase",
            "recall_recallstep",
            "incentives_bonusbase",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def open_flags() -> int:
    """Open flags of 1 cadre in 67, written again on each run when missing (bench/flags.py
    deletes every flag)."""
    from django.utils import timezone

    from cadres.models import Cadre
    from core.bulk import bulk_insert
    from recall.models import Flag

    if Flag.objects.filter(rule_key="flag_grade:bench").exists():
        return 0
    rows = [
        (cadre, unit, "flag_grade:bench", "预警：年度等次（基准测试）", "bench", [], "open", timezone.now())
        for cadre, unit in Cadre.objects.order_by("id").values_list("id", "unit_id")
        if cadre % 67 == 0
    ]
    return bulk_insert(
        Flag,
        rows,
        fields=["cadre_id", "unit_id", "rule_key", "rule_name", "anchor", "facts", "status", "raised_at"],
    )


def main() -> int:
    failed = django_on_postgres("bench/incentives.py")
    if failed is not None:
        return failed
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessment.models import Period
    from cadres.models import Cadre
    from incentives.lists import lists_compute
    from incentives.models import BonusBase, Entry

    demo_city(CADRES)
    import flags

    if not Period.objects.filter(name__endswith=flags.MARK).exists():
        print("writing the record the flag rules read (once)…", file=sys.stderr)
        flags.seed(random.Random(15))
    period = Period.objects.get(year=YEAR, quarter__isnull=True)
    if not BonusBase.objects.filter(period=period).exists():
        print("writing what the lists read beyond grades (once)…", file=sys.stderr)
        seed(random.Random(16), period)
    flagged = open_flags()
    Entry.objects.filter(period=period).delete()
    with connection.cursor() as cursor:
        if flagged:
            cursor.execute("VACUUM ANALYZE recall_flag")
        cursor.execute("VACUUM ANALYZE incentives_entry")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]

    load = os.getloadavg()
    started, cpu = time.perf_counter(), time.process_time()
    first = lists_compute(period=period, reason="基准测试")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    by_kind = Counter(Entry.objects.filter(period=period).values_list("kind", "eligible"))
    print(f"cadres={Cadre.objects.count():,} database={size} load before={load[0]:.2f}", file=sys.stderr)
    print(f"first run: {first}", file=sys.stderr)
    for (kind, eligible), count in sorted(by_kind.items()):
        print(f"  {kind} {'eligible' if eligible else 'left out'}: {count:,}", file=sys.stderr)

    def table():
        return list(
            Entry.objects.filter(period=period)
            .order_by("id")
            .values_list(
                "id", "eligible", "reasons", "score", "position", "amount", "due_date", "computed_at"
            )
        )

    before = table()
    started, second_cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        second = lists_compute(period=period, reason="基准测试")
    second_s, second_cpu = time.perf_counter() - started, time.process_time() - second_cpu
    written = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]
    unchanged = table() == before
    print(
        f"second run: {second} queries={len(queries.captured_queries)} writes={len(written)} "
        f"entries unchanged={unchanged} load after={os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )
    print(
        f"RESULT incentives_100k_s={elapsed:.2f} entries={first['created']} second_s={second_s:.2f} "
        f"second_writes={len(written) + (0 if unchanged else 1)} python_cpu_s={cpu:.2f} "
        f"second_python_cpu_s={second_cpu:.2f}"
    )
    return 0 if unchanged and not written else 1


if __name__ == "__main__":
    sys.exit(main())
