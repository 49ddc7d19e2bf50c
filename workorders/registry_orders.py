"""What the orders part of workorders/ plugs into the shared registries: the 民情工单 section of
the cadre profile (the cadre's rounds: how many, handled on time, the residents' ratings, the
latest few), each round's dispatch and rating on the profile's timeline, and the demo data (party
groups and orders of a few villages of the demo city, across every status, through the services).
``workorders.registry_hooks`` calls ``register``."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.db.models import Avg, Count, F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from cadres.models import Cadre, CadreStatus, Unit, UnitKind
from cadres.selectors import scope_q
from core import registry

from . import services
from .models import Cause, Channel, Dispatch, PartyGroup, Rating, WorkOrder

LATEST_SHOWN = 5


def _rounds_of(user, cadre):
    """The cadre's rounds on orders of the user's subtree."""
    return Dispatch.objects.filter(scope_q(user, prefix="order__unit__"), cadre=cadre)


def orders_context(user, cadre) -> dict | None:
    """民情工单 on the profile: the cadre's rounds counted (one query) and the latest few (one
    more). A cadre with no round in the user's subtree has no section."""
    rounds = _rounds_of(user, cadre)
    stats = rounds.aggregate(
        total=Count("pk"),
        handled=Count("pk", filter=Q(handled_on__isnull=False)),
        on_time=Count("pk", filter=Q(handled_on__lte=F("promised_on"))),
        satisfied=Count("pk", filter=Q(rating=Rating.SATISFIED)),
        basic=Count("pk", filter=Q(rating=Rating.BASIC)),
        unsatisfied=Count("pk", filter=Q(rating=Rating.UNSATISFIED)),
        objective=Count("pk", filter=Q(rating=Rating.UNSATISFIED, cause=Cause.OBJECTIVE)),
        score=Avg("score"),
    )
    if not stats["total"]:
        return None
    latest = list(rounds.select_related("order").order_by("-dispatched_on", "-id")[:LATEST_SHOWN])
    rated = stats["satisfied"] + stats["basic"] + stats["unsatisfied"]
    return {
        "wo_cadre": cadre,
        "wo_stats": stats,
        "wo_rated": rated,
        "wo_latest": latest,
        "wo_more": stats["total"] > len(latest),
    }


def _entries(user, cadre, limit: int):
    """Each round's dispatch and, once rated, its rating (the newest ``limit`` rounds, one query)."""
    rounds = _rounds_of(user, cadre).select_related("order").order_by("-dispatched_on", "-id")[:limit]
    for d in rounds:
        url = reverse("workorders:order_detail", args=[d.order_id])
        order = d.order
        kind = "民情工单"
        redo = "（重新派单）" if d.round > 1 else ""
        yield registry.TimelineEntry(
            on=d.dispatched_on, kind=kind, title=f"派单{redo}：{order.title}", detail=order.number, url=url
        )
        if d.rating:
            score = f"，{d.score}分" if d.score is not None else ""
            detail = f"{order.number}{score}"
            if d.cause:
                detail += f"；回访：{d.get_cause_display()}"
            yield registry.TimelineEntry(
                on=d.rated_on,
                kind=kind,
                title=f"群众评价{d.get_rating_display()}：{order.title}",
                detail=detail,
                url=url,
            )


def register() -> None:
    registry.profile_section(
        "workorders.orders",
        title="民情工单",
        order=280,
        template="workorders/_profile_section.html",
        context=orders_context,
    )
    registry.timeline_source("workorders.orders", label="民情工单", entries=_entries)
    # after the assessment (200) and the ungraded (250) steps: the 2026 annual period is open,
    # so the rounds count towards an indicator scored from 民情工单; before the appeals (390)
    registry.demo_step("workorders", order=260, seed=seed_workorders)


# ---------------------------------------------------------------- demo data

ACTIVE = [CadreStatus.ON_POST, CadreStatus.RECALLED, CadreStatus.FRONTLINE, CadreStatus.AWAITING]
VILLAGES = 3
GROUPS = [("第一党小组", "刘建国"), ("第二党小组", "陈秀英")]
# (need, what was done)
NEEDS = [
    ("楼道路灯不亮，夜间出行不便", "联系电工更换楼道声控灯 6 盏，已恢复照明。"),
    ("下水道堵塞，污水外溢", "协调环卫所疏通管道，清理淤泥，已恢复排水。"),
    ("独居老人需要定期探望", "结对走访，每周上门一次，留下联系卡。"),
    ("孩子入学政策咨询", "上门讲解入学政策，协助准备材料并完成网上报名。"),
    ("医保报销手续不会办理", "陪同到镇便民服务中心办理，报销款已到账。"),
    ("门前道路坑洼积水", "协调村里用建筑余料填平，铺设碎石。"),
    ("垃圾清运不及时", "与保洁公司约定每日清运，增设垃圾桶 2 个。"),
    ("广场舞音响声音过大", "与广场舞队协商，音量控制、晚九点前结束。"),
    ("申请低保需要帮助", "讲解低保政策，协助准备材料提交镇民政办。"),
    ("自来水水压不足", "联系水厂检修加压泵，水压已恢复正常。"),
    ("灌溉渠道堵塞，影响春耕", "组织党员志愿者清淤 300 米，渠道已通水。"),
    ("危房改造政策咨询", "上门讲解政策，协助提交危房鉴定申请。"),
    ("小区健身器材损坏", "报修并更换损坏器材 3 件。"),
    ("村道缺少路灯", "争取项目资金安装太阳能路灯 8 盏。"),
    ("流浪犬伤人隐患", "联系畜牧站捕捉流浪犬，张贴文明养犬提示。"),
    ("空巢老人就医需要陪护", "联系家庭医生上门，安排志愿者陪同复诊。"),
    ("邻里宅基地纠纷调解", "会同调委会现场调解，双方签订调解协议。"),
    ("残疾证办理咨询", "协助预约鉴定并代办申领手续。"),
    ("化粪池满溢需清理", "联系吸污车清理，并安排定期清掏。"),
    ("代缴城乡居民养老保险", "上门讲解缴费档次，协助完成线上缴费。"),
]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = ["秀兰", "桂英", "建华", "国强", "玉梅", "志刚", "淑珍", "德明", "春花", "海燕", "保国", "凤英"]
RELAYS = ["女儿 张丽", "邻居 李红梅", "网格员 王强", "儿子 刘军"]
# Each village's orders: (kind, how many). Closed ones are spread over the year; the open ones
# sit close to today so the overdue ones are overdue and the fresh ones are within the rules.
SCENARIOS = [
    ("satisfied", 8),
    ("basic", 3),
    ("late_dispatch", 1),
    ("objective", 1),
    ("redispatched", 1),
    ("awaiting_redispatch", 1),
    ("unsatisfied", 1),
    ("handled", 1),
    ("accepted", 2),
    ("promise_overdue", 1),
    ("dispatched", 1),
    ("dispatch_overdue", 1),
    ("recorded", 1),
]
CLOSED_KINDS = {"satisfied", "basic", "late_dispatch", "objective", "redispatched"}


class _Clock:
    """Dates of the demo: within the current year and never after today."""

    def __init__(self, today: datetime.date):
        self.today = today
        self.first = datetime.date(today.year, 1, 1)

    def ago(self, days: int) -> datetime.date:
        return max(self.first, self.today - datetime.timedelta(days=days))

    def after(self, day: datetime.date, days: int) -> datetime.date:
        return min(self.today, day + datetime.timedelta(days=days))


def _villages() -> list[Unit]:
    """The first village of each of the first counties (one per county, tree order)."""
    picked, counties = [], set()
    for village in Unit.objects.filter(kind=UnitKind.VILLAGE).order_by("path"):
        county = village.path[: 2 * Unit.steplen]
        if county in counties:
            continue
        counties.add(county)
        picked.append(village)
        if len(picked) == VILLAGES:
            break
    return picked


def _actor(village: Unit, staff: User) -> User:
    """The village's county admin (as a county's organization department records the orders),
    or the city staff."""
    ancestors = [village.path[:end] for end in range(Unit.steplen, len(village.path) + 1, Unit.steplen)]
    admin = (
        User.objects.filter(role=Role.COUNTY_ADMIN, unit__path__in=ancestors, is_active=True)
        .order_by("-unit__depth", "id")
        .first()
    )
    return admin or staff


def _cadres(village: Unit) -> list[Cadre]:
    """The cadres serving around the village: its own and its township's."""
    township = village.path[: -Unit.steplen]
    pool = Cadre.objects.filter(unit__path__startswith=township, status__in=ACTIVE).select_related("unit")
    return list(pool.order_by("id")[:8])


def _resident(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    return name, f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _rate(rng, scored: bool, rating: str) -> int | None:
    if not scored:
        return None
    low, high = {Rating.SATISFIED: (90, 100), Rating.BASIC: (75, 89), Rating.UNSATISFIED: (40, 65)}[rating]
    return rng.randint(low, high)


def _walk(kind: str, order: WorkOrder, *, actor, rng, clock: _Clock, cadres, groups, scored: bool, handling):
    """Take ``order`` through the steps of its scenario."""
    recorded = order.recorded_on
    cadre = rng.choice(cadres)
    group = order.party_group or rng.choice(groups)
    if kind == "dispatch_overdue" or kind == "recorded":
        return
    delay = 5 if kind == "late_dispatch" else rng.randint(0, 3)
    dispatched = clock.after(recorded, delay)
    services.order_dispatch(
        actor=actor, order=order, cadre=cadre, dispatched_on=dispatched, party_group=group, note=""
    )
    if kind == "dispatched":
        return
    accepted = clock.after(dispatched, rng.randint(0, 1))
    promise_days = 7 if kind == "promise_overdue" else rng.randint(5, 15)
    promised = accepted + datetime.timedelta(days=promise_days)
    services.order_accept(actor=actor, order=order, accepted_on=accepted, promised_on=promised)
    if kind in ("accepted", "promise_overdue"):
        return
    handled = clock.after(accepted, rng.randint(2, promise_days + (3 if rng.random() < 0.15 else 0)))
    services.order_handle(actor=actor, order=order, handled_on=handled, handling=handling)
    if kind == "handled":
        return
    rated = clock.after(handled, rng.randint(1, 3))
    rating = {"basic": Rating.BASIC}.get(kind, Rating.SATISFIED)
    if kind in ("objective", "redispatched", "awaiting_redispatch", "unsatisfied"):
        rating = Rating.UNSATISFIED
    note = "办理及时，态度热情。" if rating == Rating.SATISFIED else ""
    if rating == Rating.UNSATISFIED:
        note = "问题没有彻底解决。"
    services.order_rate(
        actor=actor, order=order, rating=rating, rated_on=rated, score=_rate(rng, scored, rating), note=note
    )
    if kind == "unsatisfied" or rating != Rating.UNSATISFIED:
        return
    followed = clock.after(rated, rng.randint(1, 2))
    if kind == "objective":
        services.order_followup(
            actor=actor,
            order=order,
            followup_on=followed,
            reason="居民希望彻底改造，超出本次办理范围。",
            cause=Cause.OBJECTIVE,
            explanation="已向居民说明改造须纳入明年项目计划，居民表示理解。",
        )
        return
    services.order_followup(
        actor=actor,
        order=order,
        followup_on=followed,
        reason="承办干部未按约定时间上门，问题拖延。",
        cause=Cause.CADRE,
    )
    if kind == "awaiting_redispatch":
        return
    # re-dispatched to another cadre, who handles it to the resident's satisfaction
    other = next((c for c in cadres if c.pk != cadre.pk), cadre)
    again = clock.after(followed, 1)
    services.order_dispatch(
        actor=actor, order=order, cadre=other, dispatched_on=again, party_group=group, note="重新派单"
    )
    accepted = clock.after(again, 0)
    services.order_accept(
        actor=actor, order=order, accepted_on=accepted, promised_on=accepted + datetime.timedelta(days=5)
    )
    handled = clock.after(accepted, 3)
    services.order_handle(actor=actor, order=order, handled_on=handled, handling=handling)
    services.order_rate(
        actor=actor,
        order=order,
        rating=Rating.SATISFIED,
        rated_on=clock.after(handled, 1),
        score=_rate(rng, scored, Rating.SATISFIED),
        note="重新办理后问题解决。",
    )


# How many days before today the open scenarios are recorded.
OPEN_AGE = {
    "awaiting_redispatch": 24,
    "unsatisfied": 16,
    "handled": 12,
    "accepted": 5,
    "promise_overdue": 26,
    "dispatched": 2,
    "dispatch_overdue": 9,
    "recorded": 1,
}


@transaction.atomic
def seed_workorders(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing once any party group or order exists (or without the demo's
    villages and users)."""
    if PartyGroup.objects.exists() or WorkOrder.objects.exists():
        return {}
    staff = User.objects.filter(username="zzb_staff").first()
    villages = _villages()
    if staff is None or not villages:
        return {}
    rng = random.Random(seed)
    clock = _Clock(timezone.localdate())
    counts = {"party_groups": 0, "work_orders": 0, "dispatches": 0}
    for v_index, village in enumerate(villages):
        actor = _actor(village, staff)
        cadres = _cadres(village)
        if len(cadres) < 2:
            continue
        groups = [
            services.party_group_save(actor=actor, unit=village, name=name, leader=leader)
            for name, leader in GROUPS
        ]
        counts["party_groups"] += len(groups)
        scored = v_index == len(villages) - 1  # one locality rates on a 0–100 scale too ([003])
        kinds = [kind for kind, n in SCENARIOS for _ in range(n)]
        closed = sum(1 for k in kinds if k in CLOSED_KINDS)
        # the closed ones spread from early January to about seven weeks ago
        span = max((clock.today - clock.first).days - 50, 1)
        done = 0
        for n, kind in enumerate(kinds):
            if kind in CLOSED_KINDS:
                recorded = clock.after(clock.first, 3 + v_index + done * span // closed)
                done += 1
            else:
                recorded = clock.ago(OPEN_AGE[kind])
            need, handling = NEEDS[(n + v_index * 7) % len(NEEDS)]
            name, contact = _resident(rng)
            channel = rng.choice([Channel.WALL, Channel.WALL, Channel.VISIT, Channel.PHONE, Channel.WECHAT])
            if n % 9 == 4:
                channel = Channel.PROXY
            elif n % 11 == 6:
                channel = Channel.LETTER
            order = services.order_record(
                actor=actor,
                unit=village,
                channel=channel,
                title=need,
                content=f"{need}。（演示数据）",
                resident_name=name,
                resident_contact=contact,
                relayed_by=rng.choice(RELAYS) if channel == Channel.PROXY else "",
                recorded_on=recorded,
                party_group=groups[n % len(groups)] if channel in (Channel.WALL, Channel.PROXY) else None,
            )
            _walk(
                kind,
                order,
                actor=actor,
                rng=rng,
                clock=clock,
                cadres=cadres,
                groups=groups,
                scored=scored,
                handling=handling,
            )
            counts["work_orders"] += 1
    counts["dispatches"] = Dispatch.objects.count()
    return counts if counts["work_orders"] else {}
