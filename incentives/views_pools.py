"""Bonus bases (奖金基数) and team bonus pools (团队奖金池): the base a unit sets per cadre for a
period, and each team's pool with its arithmetic (base × the tier's coefficient) and its members'
shares (by weight, to the fen).

Objects outside the user's subtree answer 404; a role without ``manage_incentives`` reads but gets
403 on any write, and is shown no write button.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cadres.forms import apply_service_errors
from cadres.selectors import cadre_lookup, cadres_visible_to, units_visible_to

from .forms_pools import (
    BonusBaseForm,
    PeriodUnitFilterForm,
    PoolEditForm,
    PoolForm,
    annual_periods,
    published_annual_periods,
)
from .hub import HubLink, hub_add
from .models import BonusBase, PoolKind
from .selectors_pools import attach_bases, base_rows, bases_visible_to, current_tier, pool_get, pool_rows
from .services_pools import (
    DECIDED_STATUSES,
    SHARE_RULE,
    TIE_RULE,
    bonus_base_remove,
    bonus_base_set,
    largest_remainder,
    pool_create,
    pool_delete,
    pool_shares_set,
    pool_update,
    require_manage,
)

PAGE_SIZE = 50
CANDIDATES_MAX = 100  # a unit's own cadres offered as members of its team


def _paged(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


# ---------------------------------------------------------------- bonus bases


def _bases_url(period, unit=None) -> str:
    query = f"?period={period.pk}" if period else ""
    if unit is not None:
        query += f"&unit={unit.pk}"
    return reverse("incentives:bonus_bases") + query


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bonus_bases(request):
    """GET: the base in force for each unit in scope; POST: set a unit's own base."""
    user = request.user
    units = units_visible_to(user)
    # by default the period whose lists are shown: the newest published one
    pick = PeriodUnitFilterForm(
        request.GET,
        user=user,
        units=units,
        periods=annual_periods(),
        prefer=lambda p: p.status in DECIDED_STATUSES,
    )
    f = pick.filters()
    period = f["period"]
    can_manage = user.can("manage_incentives")
    form = None
    if request.method == "POST":
        require_manage(user)
        form = BonusBaseForm(request.POST, user=user, units=units)
        if period is None:
            raise Http404("没有年度考核期。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                base = bonus_base_set(
                    actor=user, period=period, unit=data["unit"], amount=data["amount"], note=data["note"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"已设置{base.unit.name}{period.name}人均奖金基数 {base.amount} 元。"
                )
                return redirect(_bases_url(period, f["unit"]))
    if form is None and can_manage:
        form = BonusBaseForm(user=user, units=units, initial={"unit": f["unit"] or user.unit})
    context = {"pick": pick, "period": period, "form": form if can_manage else None, "itab": "bases"}
    if period is not None:
        page, page_range = _paged(request, base_rows(user, period=period, unit=f["unit"]))
        attach_bases(user, period, page.object_list)
        context.update(page=page, page_range=page_range, filtered=f["unit"] is not None)
    return render(request, "incentives/bonus_bases.html", context)


@login_required
@require_POST
def bonus_base_delete(request, pk):
    user = request.user
    try:
        base = bases_visible_to(user).select_related("unit", "period").get(pk=pk)
    except (BonusBase.DoesNotExist, ValueError, TypeError):
        raise Http404("奖金基数不存在或不在您的管辖范围内。") from None
    require_manage(user)
    bonus_base_remove(actor=user, base=base)
    messages.success(request, f"{base.unit.name}不再单独设置奖金基数，改为继承上级。")
    return redirect(_bases_url(base.period))


# ---------------------------------------------------------------- pools


@login_required
@require_safe
def pools(request):
    user = request.user
    pick = PeriodUnitFilterForm(
        request.GET, user=user, units=units_visible_to(user), periods=published_annual_periods()
    )
    f = pick.filters()
    context = {
        "pick": pick,
        "period": f["period"],
        "can_manage": user.can("manage_incentives"),
        "itab": "pools",
    }
    if f["period"] is not None:
        page, page_range = _paged(request, pool_rows(user, period=f["period"], unit=f["unit"]))
        context.update(page=page, page_range=page_range, filtered=f["unit"] is not None)
    return render(request, "incentives/pools.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pool_new(request):
    user = request.user
    require_manage(user)
    units = units_visible_to(user)
    form = PoolForm(request.POST or None, user=user, units=units, initial={"unit": user.unit})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pool = pool_create(
                actor=user,
                period=data["period"],
                unit=data["unit"],
                kind=data["kind"],
                name=data["name"],
                base=data["base"],
                tier=data["tier"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已建立“{pool.name}”奖金池：{pool.total} 元。请填写成员及分配权重。")
            return redirect("incentives:pool_shares", pk=pool.pk)
    return render(request, "incentives/pool_form.html", {"form": form, "pool": None, "itab": "pools"})


def share_rows(pool) -> list[dict]:
    """Each member with the arithmetic of the share: exact, rounded down, the extra fen."""
    members = pool.members
    if not members or pool.total is None or not any(m.weight for m in members):
        return [{"share": m, "step": None} for m in members]
    steps = largest_remainder(pool.total, [m.weight for m in members])
    return [{"share": m, "step": step} for m, step in zip(members, steps, strict=True)]


@login_required
@require_safe
def pool_detail(request, pk):
    user = request.user
    pool = pool_get(user, pk)
    rows = share_rows(pool)
    shared = sum((r["share"].amount or 0 for r in rows), 0)
    tier_now = current_tier(pool)
    return render(
        request,
        "incentives/pool_detail.html",
        {
            "pool": pool,
            "rows": rows,
            "weights": sum((r["share"].weight for r in rows), 0),
            "shared": shared,
            "balanced": bool(rows) and shared == pool.total,
            "tier_changed": tier_now != pool.tier,
            "tier_now": tier_now,
            "share_rule": SHARE_RULE,
            "can_manage": user.can("manage_incentives"),
            "itab": "pools",
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pool_edit(request, pk):
    user = request.user
    pool = pool_get(user, pk)
    require_manage(user)
    initial = {"name": pool.name, "base": pool.base, "tier": pool.tier}
    form = PoolEditForm(request.POST or None, pool=pool, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pool = pool_update(
                actor=user, pool=pool, name=data["name"], base=data["base"], tier=data.get("tier") or None
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"已保存“{pool.name}”：奖金池 {pool.total} 元，成员金额已按新总额重新分配。"
            )
            return redirect("incentives:pool_detail", pk=pool.pk)
    return render(request, "incentives/pool_form.html", {"form": form, "pool": pool, "itab": "pools"})


def _posted_weights(post) -> list[tuple[int, str]]:
    """(cadre id, weight) of the filled-in rows, in the order the page lists them."""
    out = []
    for key in post:
        if not key.startswith("weight_"):
            continue
        value = post.get(key, "").strip()
        if value and key[len("weight_") :].isdigit():
            out.append((int(key[len("weight_") :]), value))
    return out


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pool_shares(request, pk):
    """The members and their weights: existing members, the unit's own cadres (a unit team), and
    the cadres a search found; a row left empty is not a member."""
    user = request.user
    pool = pool_get(user, pk)
    require_manage(user)
    query = (request.GET.get("q") or "").strip()[:50]
    error = ""
    weights = {m.cadre_id: m.weight for m in pool.members}
    listed = [m.cadre for m in pool.members]
    if request.method == "POST":
        posted = _posted_weights(request.POST)
        try:
            pool_shares_set(actor=user, pool=pool, shares=posted)
        except ValidationError as exc:
            error = "；".join(m for messages_ in exc.message_dict.values() for m in messages_)
            weights = dict(posted)
            ids = [pk for pk, _ in posted]
            found = {c.pk: c for c in cadres_visible_to(user).select_related("unit").filter(pk__in=ids)}
            listed = [found[i] for i in ids if i in found] + [c for c in listed if c.pk not in found]
        else:
            messages.success(request, f"已保存“{pool.name}”的分配：{len(posted)} 人，合计 {pool.total} 元。")
            return redirect("incentives:pool_detail", pk=pool.pk)
    seen = {c.pk for c in listed}
    candidates = []
    if pool.kind == PoolKind.UNIT:
        own = cadres_visible_to(user).filter(unit=pool.unit).select_related("unit").order_by("name", "id")
        candidates = [c for c in own[:CANDIDATES_MAX] if c.pk not in seen]
        seen |= {c.pk for c in candidates}
    found = []
    if query:
        within = pool.unit if pool.kind == PoolKind.UNIT else None
        found = [c for c in cadre_lookup(user, query, unit=within) if c.pk not in seen]
    return render(
        request,
        "incentives/pool_shares.html",
        {
            "pool": pool,
            "rows": [{"cadre": c, "weight": weights.get(c.pk, "")} for c in listed + found + candidates],
            "query": query,
            "found": found,
            "error": error,
            "tie_rule": TIE_RULE,
            "itab": "pools",
        },
    )


@login_required
@require_POST
def pool_remove(request, pk):
    user = request.user
    pool = pool_get(user, pk)
    require_manage(user)
    pool_delete(actor=user, pool=pool)
    messages.success(request, f"已删除团队奖金池“{pool.name}”。")
    return redirect(reverse("incentives:pools") + f"?period={pool.period_id}")


hub_add(
    HubLink(
        "bases",
        "奖金基数",
        "incentives:bonus_bases",
        "bi-cash-coin",
        "各单位按年度设置人均绩效奖金基数，下级单位未单独设置的继承上级；绩效奖金 = 基数 × 等次系数 − 扣发",
        order=20,
    )
)
hub_add(
    HubLink(
        "pools",
        "团队奖金池",
        "incentives:pools",
        "bi-people",
        "单位团队、项目团队的奖金池与团队年度等次挂钩（总额 = 基数 × 等次系数），由团队按权重自主分配，精确到分",
        order=30,
    )
)

urlpatterns = [
    path("bonus-bases/", bonus_bases, name="bonus_bases"),
    path("bonus-bases/<int:pk>/remove/", bonus_base_delete, name="bonus_base_remove"),
    path("pools/", pools, name="pools"),
    path("pools/new/", pool_new, name="pool_new"),
    path("pools/<int:pk>/", pool_detail, name="pool_detail"),
    path("pools/<int:pk>/edit/", pool_edit, name="pool_edit"),
    path("pools/<int:pk>/shares/", pool_shares, name="pool_shares"),
    path("pools/<int:pk>/delete/", pool_remove, name="pool_delete"),
]
