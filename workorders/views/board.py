"""The public board (民心墙晾晒, [001] 千阳县): a village's or community's orders in four columns,
居民点单 / 党小组派单 / 党员接单 / 群众评单, read by residents on a phone without signing in.

It shows no personal data: never a resident's name, contact or who relayed the need, never the
need's details or the rating's comment, no user of the system; cadres are named as the unit's
WORKORDER rule says (``policy.board_name``: 张三 / 张同志 / 在职党员). The page reads its rows as
plain values and hands the template only what it may show; the free texts it shows (the summary,
the handling) are scrubbed of the order's personal data and of digit runs that look like a phone
number, in case someone typed them in.

``boards`` lists the villages and communities in the signed-in user's scope with their boards'
addresses (to print and post at the wall).
"""

from __future__ import annotations

import datetime
import re

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from cadres.models import Unit, UnitKind
from cadres.selectors import unit_label, units_visible_to

from .. import policy
from ..models import Cause, Channel, Dispatch, OrderStatus, Rating, WorkOrder

DAYS_DEFAULT, DAYS_MIN, DAYS_MAX = 90, 7, 365
DAYS_CHOICES = (7, 30, 90, 180, 365)
COLUMN_LIMIT = 50
HANDLING_CHARS = 60
BOARDS_PAGE_SIZE = 50
# A run of digits this long is a phone or ID number: never on the board.
PHONE_LIKE = re.compile(r"\d{7,}")
HIDDEN = "**"
# the order's personal data, read only to scrub the free texts the board shows
PERSONAL = ("order__resident_name", "order__resident_contact", "order__relayed_by")
RATING_NOTES = {Cause.OBJECTIVE: "已回访，解释说明后办结", Cause.CADRE: "已回访，重新派单"}


def parse_days(raw) -> tuple[int, str]:
    """The window in days and, for input it cannot use as given, what the page says about it."""
    if raw is None or str(raw).strip() == "":
        return DAYS_DEFAULT, ""
    try:
        days = int(str(raw).strip())
    except ValueError:
        return DAYS_DEFAULT, f"天数应为 {DAYS_MIN}–{DAYS_MAX} 之间的整数，已按 {DAYS_DEFAULT} 天显示。"
    if not DAYS_MIN <= days <= DAYS_MAX:
        shown = min(max(days, DAYS_MIN), DAYS_MAX)
        return shown, f"天数应在 {DAYS_MIN}–{DAYS_MAX} 之间，已按 {shown} 天显示。"
    return days, ""


def _scrub(text: str, hidden: list[str]) -> str:
    """``text`` without the given personal strings and without phone-number-like digit runs."""
    for word in sorted({w for w in hidden if w}, key=len, reverse=True):
        text = text.replace(word, HIDDEN)
    return PHONE_LIKE.sub(HIDDEN, text)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _current():
    """The dispatch is its order's current round: no later round exists."""
    return ~Exists(Dispatch.objects.filter(order=OuterRef("order"), round__gt=OuterRef("round")))


def _day(value: datetime.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def board_columns(unit: Unit, *, days: int, today: datetime.date) -> list[dict]:
    """The four columns of ``unit``'s board. The first three hold every order still open at that
    step, however old (a need left waiting is what the wall is there to show), the longest
    waiting first; 群众评单 holds the ratings of the last ``days`` days (today included), newest
    first. At most COLUMN_LIMIT cards each. Five queries: the unit's WORKORDER rule, then one per
    column."""
    since = today - datetime.timedelta(days=days - 1)
    mode = policy.limits_for(unit).get("board_names") or "surname"
    channels = dict(Channel.choices)
    ratings = dict(Rating.choices)

    def hidden(row: dict, prefix: str = "order__") -> list[str]:
        words = [row[f.replace("order__", prefix)] for f in PERSONAL]
        if row.get("cadre__name") and mode != "full":
            words.append(row["cadre__name"])  # a full name typed into the handling text
        return words

    def cadre(row: dict) -> str:
        return policy.board_name(row["cadre__name"], mode=mode)

    def group(row: dict) -> str:
        return row["party_group__name"] or row["order__party_group__name"] or "村（社区）党组织"

    # 居民点单: needs waiting for their dispatch
    needs = (
        WorkOrder.objects.filter(unit=unit, status=OrderStatus.RECORDED)
        .order_by("recorded_on", "id")
        .values("title", "channel", "recorded_on", "dispatch_due", *(f[7:] for f in PERSONAL))
    )
    point = [
        {
            "title": _scrub(row["title"], hidden(row, prefix="")),
            "badge": channels.get(row["channel"], ""),
            "meta": [f"{row['recorded_on']:%Y-%m-%d} 点单", f"应于 {row['dispatch_due']:%Y-%m-%d} 前派单"],
            "alert": "已超过派单期限" if row["dispatch_due"] < today else "",
        }
        for row in needs[: COLUMN_LIMIT + 1]
    ]

    rounds = Dispatch.objects.filter(order__unit=unit)
    common = ("order__title", "order__channel", "cadre__name", *PERSONAL)

    # 党小组派单: dispatched, not yet accepted
    dispatched = (
        rounds.filter(order__status=OrderStatus.DISPATCHED)
        .filter(_current())
        .order_by("dispatched_on", "id")
        .values(*common, "round", "dispatched_on", "party_group__name", "order__party_group__name")
    )
    send = [
        {
            "title": _scrub(row["order__title"], hidden(row)),
            "badge": group(row),
            "meta": [
                f"{row['dispatched_on']:%Y-%m-%d} 派单"
                + (f"（第{row['round']}轮）" if row["round"] > 1 else ""),
                f"承办：{cadre(row)}",
            ],
        }
        for row in dispatched[: COLUMN_LIMIT + 1]
    ]

    # 党员接单: accepted, handled or not (a handled one waits for the resident's rating)
    accepted = (
        rounds.filter(
            order__status__in=(OrderStatus.ACCEPTED, OrderStatus.HANDLED),
            accepted_on__isnull=False,
        )
        .filter(_current())
        .order_by("accepted_on", "id")
        .values(*common, "accepted_on", "promised_on", "handled_on", "handling")
    )
    take = []
    for row in accepted[: COLUMN_LIMIT + 1]:
        handled, promised = row["handled_on"], row["promised_on"]
        late = promised is not None and (handled or today) > promised
        take.append(
            {
                "title": _scrub(row["order__title"], hidden(row)),
                "badge": "已办理" if handled else "办理中",
                "meta": [
                    f"承办：{cadre(row)}",
                    f"{_day(row['accepted_on'])} 接单，承诺 {_day(promised)} 前办结",
                    *([f"{handled:%Y-%m-%d} 办理完成"] if handled else []),
                ],
                "text": _short(_scrub(row["handling"], hidden(row)), HANDLING_CHARS) if handled else "",
                "alert": ("超过承诺限期办结" if handled else "已超过承诺限期") if late else "",
            }
        )

    # 群众评单: rounds rated in the window (the resident's rating, never who gave it)
    rated = (
        rounds.filter(rated_on__gte=since)
        .exclude(rating="")
        .order_by("-rated_on", "-id")
        .values(*common, "rating", "score", "rated_on", "cause")
    )
    rate = [
        {
            "title": _scrub(row["order__title"], hidden(row)),
            "badge": ratings.get(row["rating"], ""),
            "tone": row["rating"],
            "meta": [
                f"{row['rated_on']:%Y-%m-%d} 评价"
                + (f"，{row['score']}分" if row["score"] is not None else ""),
                f"承办：{cadre(row)}",
                *([RATING_NOTES[row["cause"]]] if row["cause"] in RATING_NOTES else []),
            ],
        }
        for row in rated[: COLUMN_LIMIT + 1]
    ]
    return [
        _column("point", "居民点单", "bi-pin-angle", point, "暂无待派单的需求"),
        _column("send", "党小组派单", "bi-send", send, "暂无待接单的派单"),
        _column("take", "党员接单", "bi-person-check", take, "暂无办理中的工单"),
        _column("rate", "群众评单", "bi-hand-thumbs-up", rate, "暂无群众评价"),
    ]


def _column(key: str, title: str, icon: str, cards: list[dict], empty: str) -> dict:
    return {
        "key": key,
        "title": title,
        "icon": icon,
        "cards": cards[:COLUMN_LIMIT],
        "more": len(cards) > COLUMN_LIMIT,
        # open steps list the longest waiting first, ratings the newest
        "more_note": "仅列出最新的" if key == "rate" else "仅列出等待最久的",
        "empty": empty,
    }


@require_safe
def board(request, code: str):
    """A village's or community's board: public, read-only."""
    unit = Unit.objects.filter(code=code, kind=UnitKind.VILLAGE).annotate(label=unit_label()).first()
    if unit is None:
        raise Http404("没有这个村（社区）的民心墙。")
    days, days_error = parse_days(request.GET.get("days"))
    today = timezone.localdate()
    return render(
        request,
        "workorders/board.html",
        {
            "unit": unit,
            "columns": board_columns(unit, days=days, today=today),
            "days": days,
            "days_error": days_error,
            "days_choices": sorted({*DAYS_CHOICES, days}),
            "today": today,
            "limit": COLUMN_LIMIT,
        },
    )


def _open_count(*statuses: str):
    counts = (
        WorkOrder.objects.filter(unit=OuterRef("pk"), status__in=statuses)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


@login_required
@require_safe
def boards(request):
    """The villages and communities of the user's scope, each with its board's address."""
    units = (
        units_visible_to(request.user)
        .filter(kind=UnitKind.VILLAGE)
        .annotate(
            label=unit_label(),
            waiting=_open_count(OrderStatus.RECORDED),
            working=_open_count(OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.HANDLED),
        )
        .order_by("path")
    )
    page = Paginator(units, BOARDS_PAGE_SIZE).get_page(request.GET.get("page"))
    for unit in page.object_list:
        unit.board_url = request.build_absolute_uri(reverse("workorders:board", args=[unit.code]))
    return render(
        request,
        "workorders/boards.html",
        {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        },
    )


urlpatterns = [
    path("boards/", boards, name="boards"),
    path("board/<str:code>/", board, name="board"),
]
