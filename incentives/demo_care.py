"""Demo 关爱 data for ``seed_demo``: care records of every kind (talks, 七一 and 春节 visits, health
checks, paid leave, hardship help, visits and subsidies of departed village cadres), a township
designated a hardship post with one cadre visited this year and one not, departed village cadres
(one whose subsidy is due, one paid up), and a township cadre under 2 years of township service,
so the refusal of a move out of the township can be tried.

The handful of records the pages are about go through the services (audited like real ones); the
yearly health checks and leave of the whole city, thousands of rows, are written in bulk with
their audit entries in bulk too, so the care-due list shows only the cadres left without them.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditAction
from audit.services import Change, audit_record_bulk, snapshot
from cadres.models import Cadre, CadreKind, CadreStatus, Unit, UnitKind
from cadres.services import cadre_update
from core.bulk import bulk_insert

from . import services_care as services
from .models import CareKind, CareRecord, VisitOccasion
from .subsidy import month_end

TALKS = [
    "了解工作和家庭情况，鼓励其安心基层、担当作为。",
    "谈心谈话，疏导工作压力，帮助协调家中老人就医。",
    "结合年度考核结果谈心，肯定成绩，指出努力方向。",
]
HELP = [
    ("夫妻两地分居，协调配偶就近调动。", Decimal("0")),
    ("家中遭遇变故，发放困难帮扶金。", Decimal("3000")),
    ("子女入学困难，协调就近入学。", Decimal("0")),
    ("住房困难，协调乡镇周转房一套。", Decimal("0")),
]


def _day_this_year(rng: random.Random, today: datetime.date) -> datetime.date:
    start = datetime.date(today.year, 1, 1)
    return start + datetime.timedelta(days=rng.randint(0, (today - start).days))


def _holiday(today: datetime.date, occasion: str) -> datetime.date:
    """This year's visit for the occasion if it has come (七一: 1 July; 春节: late January), else
    last year's."""
    month, day = (7, 1) if occasion == VisitOccasion.JULY_FIRST else (1, 25)
    this = datetime.date(today.year, month, day)
    return this if this <= today else this.replace(year=today.year - 1)


# Routine records written (with their audit entries) per chunk: the province demo has a
# million cadres, whose 1.7 million records would not fit in memory as model instances.
ROUTINE_CHUNK = 20_000


@dataclass(frozen=True)
class _Active:
    """What the demo reads of a cadre (no model instance: a million of them, each decrypting
    its ID number and phone, took minutes and gigabytes)."""

    pk: int
    kind: str
    unit_id: int
    unit_path: str
    unit_kind: str
    work_start_date: datetime.date
    post_start_date: datetime.date | None


@transaction.atomic
def seed_care(*, seed: int = 0) -> dict:
    rng = random.Random(seed + 16)
    today = timezone.localdate()
    staff = User.objects.get(username="zzb_staff")
    active = [
        _Active(*row)
        for row in Cadre.objects.exclude(status__in=[CadreStatus.RETIRED, CadreStatus.DISMISSED])
        .order_by("id")
        .values_list(
            "pk", "kind", "unit_id", "unit__path", "unit__kind", "work_start_date", "post_start_date"
        )
    ]
    if not active:
        return {}
    counts = {"care_records": 0}

    # the yearly routine of the whole city, in bulk: most had a health check and took leave
    routine: list[CareRecord] = []

    def flush():
        bulk_insert(CareRecord, routine)
        audit_record_bulk(
            actor=staff,
            changes=(Change(AuditAction.CREATE, r, None, snapshot(r), r.cadre_id, path) for r, path in paths),
            reason="演示数据：年度体检与带薪休假",
        )
        counts["care_records"] += len(routine)
        routine.clear()
        paths.clear()

    paths: list[tuple[CareRecord, str]] = []
    for cadre in active:
        if cadre.kind == CadreKind.VILLAGE and rng.random() < 0.3:
            continue  # some village cadres have neither on record
        if rng.random() < 0.9:
            routine.append(
                CareRecord(
                    cadre_id=cadre.pk,
                    unit_id=cadre.unit_id,
                    kind=CareKind.HEALTH_CHECK,
                    date=_day_this_year(rng, today),
                    content="年度健康体检",
                    by_whom="机关党委",
                    created_by=staff,
                )
            )
            paths.append((routine[-1], cadre.unit_path))
        if rng.random() < 0.85:
            routine.append(
                CareRecord(
                    cadre_id=cadre.pk,
                    unit_id=cadre.unit_id,
                    kind=CareKind.LEAVE,
                    date=_day_this_year(rng, today),
                    days=rng.choice([5, 5, 5, 7, 10, 10, 15, 3]),
                    content="带薪年休假",
                    created_by=staff,
                )
            )
            paths.append((routine[-1], cadre.unit_path))
        if len(routine) >= ROUTINE_CHUNK:
            flush()
    if routine:
        flush()

    def full(cadre: _Active) -> Cadre:
        return Cadre.objects.select_related("unit").get(pk=cadre.pk)

    def record(cadre, kind, day, content, **extra):
        if isinstance(cadre, _Active):
            cadre = full(cadre)
        services.care_record_create(actor=staff, cadre=cadre, kind=kind, date=day, content=content, **extra)
        counts["care_records"] += 1

    # a hardship post: a remote township, one cadre visited this year and the others not
    staffed = {c.unit_id for c in active}
    towns = [u for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP).order_by("path") if u.pk in staffed]
    in_town: list[_Active] = []
    if towns:
        town = towns[-1]
        services.hardship_post_designate(
            actor=staff, unit=town, since=today - datetime.timedelta(days=800), note="山区边远乡镇，交通不便"
        )
        counts["hardship_posts"] = 1
        in_town = [c for c in active if c.unit_path.startswith(town.path) and c.kind != CadreKind.VILLAGE]
        if in_town:
            record(
                in_town[0],
                CareKind.VISIT,
                min(today, datetime.date(today.year, 1, 25)),
                "春节前走访慰问艰苦边远岗位干部。",
                occasion=VisitOccasion.SPRING_FESTIVAL,
                amount=Decimal("800"),
                by_whom="组织部领导",
            )
    in_town_pks = {c.pk for c in in_town}
    elsewhere = [c for c in active if c.pk not in in_town_pks]

    # talks, festival visits and hardship help: a few dozen, through the services
    for cadre in rng.sample(active, min(40, len(active))):
        record(cadre, CareKind.TALK, _day_this_year(rng, today), rng.choice(TALKS), by_whom="组织部干部科")
    for cadre in rng.sample(elsewhere, min(30, len(elsewhere))):
        occasion = rng.choice([VisitOccasion.JULY_FIRST, VisitOccasion.SPRING_FESTIVAL])
        record(
            cadre,
            CareKind.VISIT,
            _holiday(today, occasion),
            "走访慰问，送去慰问品和慰问金。",
            occasion=occasion,
            amount=Decimal("500"),
            by_whom="组织部领导",
        )
    for cadre in rng.sample(active, min(8, len(active))):
        content, amount = rng.choice(HELP)
        record(cadre, CareKind.HARDSHIP_HELP, _day_this_year(rng, today), content, amount=amount or None)

    # departed village cadres: one whose subsidy is due this month, one paid up, one just left
    villagers = [c for c in active if c.kind == CadreKind.VILLAGE]
    rng.shuffle(villagers)
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    plans = [
        (today - relativedelta(months=14), last_month_end, "村民小组长"),
        (today - relativedelta(months=26), month_end(today), "村监委会主任"),
        (today - relativedelta(months=5), None, "人民调解员"),
    ]
    for villager, (left_on, paid_through, role) in zip(villagers, plans, strict=False):
        cadre = full(villager)
        left_on = max(left_on, cadre.work_start_date + datetime.timedelta(days=1))
        departure = services.departure_register(
            actor=staff,
            cadre=cadre,
            left_on=left_on,
            years_served=max(1, (left_on - cadre.work_start_date).days // 365),
            monthly_subsidy=Decimal(rng.choice([300, 400, 500])),
            role_after=role,
            note="换届后离任。",
        )
        if paid_through is not None and paid_through >= month_end(left_on) + datetime.timedelta(days=1):
            services.departure_subsidy_pay(
                actor=staff,
                departure=departure,
                through=paid_through,
                paid_on=paid_through.replace(day=1),
                by_whom="乡镇民政办",
            )
            counts["care_records"] += 1
        record(
            cadre,
            CareKind.DEPARTED_VISIT,
            max(_holiday(today, VisitOccasion.SPRING_FESTIVAL), left_on),
            "春节走访离任村干部，听取对村级工作的意见。",
            occasion=VisitOccasion.SPRING_FESTIVAL,
            amount=Decimal("300"),
            by_whom="乡镇党委",
        )
        counts["departed_village_cadres"] = counts.get("departed_village_cadres", 0) + 1

    # a township cadre with 1 year and 11 months of township service: a move out is refused
    start = today - relativedelta(years=1, months=11)
    candidates = [
        c
        for c in active
        if c.unit_kind == UnitKind.TOWNSHIP
        and c.kind == CadreKind.GENERAL
        and c.work_start_date <= start
        and (c.post_start_date is None or c.post_start_date <= today)
    ]
    if candidates:
        cadre = full(candidates[0])
        cadre_update(
            actor=staff,
            cadre=cadre,
            township_service_start=start,
            reason="演示数据：到乡镇工作未满2年（调出或借调须部长审批）",
        )
        counts["township_under_2_years"] = 1
    return counts
