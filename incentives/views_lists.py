"""The 三挂钩 lists pages: a list per kind for a published annual period (eligible or left out,
each entry with its reasons), a decision on each entry (granted / declined with a reason), an
entry's page with its decision's history, and the xlsx of a list.

Objects outside the user's subtree answer 404; a role without ``manage_incentives`` reads but gets
403 on any write, and is shown no write button.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from cadres.forms import apply_service_errors
from cadres.selectors import unit_get, units_visible_to
from core.jobs import DELAYED_MESSAGE, delivery_delayed
from core.selectors import jobs_visible_to
from core.xlsx import XLSX_CONTENT_TYPE, safe_row, styled_row

from .forms_lists import DecisionForm, ListFilterForm, WithdrawForm
from .hub import HubLink, hub_add
from .lists.tasks import JOB_KIND as LISTS_JOB
from .lists.tasks import queue_lists_job
from .models import Decision, ListKind, Verdict
from .selectors_decisions import (
    attach_decisions,
    decision_history,
    entry_get,
    entry_rows,
    list_counts,
    list_periods,
    undecided_count,
)
from .services_decisions import decision_record, decision_withdraw, require_manage

PAGE_SIZE = 50
# What each list shows beside the reasons
MONEY_KINDS = {ListKind.BONUS}
DUE_KINDS = {ListKind.RANK_PROMOTION}


def reasons_shown(reasons) -> list[dict]:
    """Each reason as (rule, effect, facts as "label：value" pairs), whatever shape its facts
    have (a dict, or a list of {label, value})."""
    shown = []
    for reason in reasons or []:
        if not isinstance(reason, dict):
            shown.append({"rule": "", "effect": str(reason), "facts": []})
            continue
        facts = reason.get("facts") or {}
        if isinstance(facts, dict):
            pairs = [(str(k), _fact_value(v)) for k, v in facts.items()]
        elif isinstance(facts, list):
            pairs = [
                (str(f.get("label", "")), _fact_value(f.get("value", "")))
                if isinstance(f, dict)
                else ("", str(f))
                for f in facts
            ]
        else:
            pairs = [("", str(facts))]
        shown.append({"rule": reason.get("rule", ""), "effect": reason.get("effect", ""), "facts": pairs})
    return shown


def _fact_value(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    return "—" if value is None or value == "" else str(value)


def reasons_text(reasons) -> str:
    parts = []
    for r in reasons_shown(reasons):
        facts = "；".join(f"{k}：{v}" if k else v for k, v in r["facts"])
        parts.append(f"{r['rule']}：{r['effect']}" + (f"（{facts}）" if facts else ""))
    return "\n".join(parts)


def _filters(request):
    user = request.user
    data = request.GET.copy()
    form = ListFilterForm(data, user=user, units=units_visible_to(user))
    return form, form.filters()


def _queryset(user, f):
    eligible = {"yes": True, "no": False}.get(f["eligible"])
    decided = {"yes": True, "no": False}.get(f["decided"])
    verdict = f["decided"] if f["decided"] in Verdict.values else ""
    return entry_rows(
        user,
        period=f["period"],
        kind=f["kind"],
        unit=f["unit"],
        eligible=eligible,
        decided=decided,
        verdict=verdict,
        name=f["name"],
    )


def _query(request, **changes) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


# ---------------------------------------------------------------- the list


@login_required
@require_safe
def lists(request):
    user = request.user
    form, f = _filters(request)
    period = f["period"]
    context = {"form": form, "filters": f, "period": period, "can_manage": user.can("manage_incentives")}
    if period is None:
        return render(request, "incentives/lists.html", context)
    counts = list_counts(user, period=period, unit=f["unit"])
    page = Paginator(_queryset(user, f), PAGE_SIZE).get_page(request.GET.get("page"))
    attach_decisions(page.object_list)
    for entry in page.object_list:
        entry.reasons_list = reasons_shown(entry.reasons)
    tabs = [
        {"kind": kind, "label": label, "counts": counts[kind], "query": _query(request, kind=kind)}
        for kind, label in ListKind.choices
    ]
    context.update(
        {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "tabs": tabs,
            "kind_label": ListKind(f["kind"]).label,
            "counts": counts[f["kind"]],
            "money": f["kind"] in MONEY_KINDS,
            "due": f["kind"] in DUE_KINDS,
            "next": request.get_full_path(),
            "export_query": _query(request),
            "filtered": bool(f["unit"] or f["decided"] or f["name"]) or f["eligible"] != "yes",
            "job": _latest_job(user, period),
            "compute_url": reverse("incentives:lists_compute"),
        }
    )
    return render(request, "incentives/lists.html", context)


def _latest_job(user, period):
    """The latest computation of the period's lists the user may follow."""
    return (
        jobs_visible_to(user).filter(kind=LISTS_JOB, params__period=period.pk).order_by("-created_at").first()
    )


@login_required
@require_POST
def lists_compute(request):
    """Queue the computation of a period's lists over the user's subtree (or the chosen unit's)."""
    user = request.user
    require_manage(user)
    period = list_periods().filter(pk=request.POST.get("period") or None).first()
    if period is None:
        messages.error(request, "请选择已公布的年度考核期。")
        return redirect("incentives:lists")
    unit = unit_get(user, request.POST["unit"]) if request.POST.get("unit") else None
    if unit is None and user.scope_path:
        unit = user.unit  # a county's button does not recompute the other counties
    try:
        queue_lists_job(
            period_id=period.pk, unit_id=unit.pk if unit else None, reason="手动重新计算名单", actor=user
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        if delivery_delayed(reset=True):
            messages.warning(request, DELAYED_MESSAGE)
        else:
            messages.success(request, "已提交名单计算，进度见下方；已作出的决定保留不变。")
    query = f"?period={period.pk}" + (f"&unit={unit.pk}" if unit and request.POST.get("unit") else "")
    return redirect(reverse("incentives:lists") + query)


# ---------------------------------------------------------------- one entry


def _entry(request, period, kind, cadre):
    return entry_get(request.user, period_id=period, kind=kind, cadre_id=cadre)


def _render_entry(request, entry, *, form=None, withdraw_form=None, status=200):
    user = request.user
    can_manage = user.can("manage_incentives")
    decision = entry.decision
    changed = []
    if decision is not None:
        then = decision.snapshot or {}
        if then.get("eligible") is not None and then.get("eligible") != entry.eligible:
            changed.append("是否符合条件")
        if then.get("amount") != (None if entry.amount is None else str(entry.amount)):
            changed.append("金额")
    return render(
        request,
        "incentives/entry_detail.html",
        {
            "entry": entry,
            "cadre": entry.cadre,
            "reasons": reasons_shown(entry.reasons),
            "decision": decision,
            "decision_reasons": reasons_shown((decision.snapshot or {}).get("reasons")) if decision else [],
            "changed_since": changed,
            "history": decision_history(user, entry),
            "form": (form or DecisionForm(initial={"verdict": decision.verdict} if decision else None))
            if can_manage
            else None,
            "withdraw_form": (withdraw_form or WithdrawForm()) if can_manage and decision else None,
            "money": entry.kind in MONEY_KINDS,
            "due": entry.kind in DUE_KINDS,
            "back": _safe_next(request) or _list_url(entry),
        },
        status=status,
    )


def _list_url(entry) -> str:
    return f"{reverse('incentives:lists')}?period={entry.period_id}&kind={entry.kind}"


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@login_required
@require_safe
def entry_detail(request, period, kind, cadre):
    return _render_entry(request, _entry(request, period, kind, cadre))


@login_required
@require_POST
def entry_decide(request, period, kind, cadre):
    user = request.user
    entry = _entry(request, period, kind, cadre)
    require_manage(user)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decision = decision_record(
                actor=user,
                period=entry.period,
                cadre=entry.cadre,
                kind=entry.kind,
                verdict=data["verdict"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已登记：{entry.cadre.name}“{entry.get_kind_display()}”{decision.get_verdict_display()}。",
            )
            return redirect(_safe_next(request) or _list_url(entry))
    return _render_entry(request, entry, form=form)


@login_required
@require_POST
def entry_withdraw(request, period, kind, cadre):
    user = request.user
    entry = _entry(request, period, kind, cadre)
    require_manage(user)
    form = WithdrawForm(request.POST)
    if entry.decision is None:
        form.add_error(None, "该条目尚无决定，无需撤回。")
    elif form.is_valid():
        try:
            decision_withdraw(actor=user, decision=entry.decision, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已撤回{entry.cadre.name}“{entry.get_kind_display()}”的决定。")
            return redirect(
                "incentives:entry_detail", period=entry.period_id, kind=entry.kind, cadre=entry.cadre_id
            )
    return _render_entry(request, entry, withdraw_form=form)


# ---------------------------------------------------------------- xlsx


XLSX_HEADERS = [
    "序号",
    "单位",
    "姓名",
    "身份证号",
    "现任职务",
    "是否符合条件",
    "排序",
    "依据",
    "奖金系数",
    "奖金基数（元）",
    "扣发（元）",
    "金额（元）",
    "可晋升日期",
    "决定",
    "理由",
    "决定人",
    "决定日期",
]
XLSX_WIDTHS = [6, 18, 10, 22, 18, 10, 6, 60, 8, 12, 10, 12, 12, 8, 40, 12, 12]


@login_required
@require_safe
def lists_export(request):
    """The list as filtered on the page, every page of it, as an .xlsx (ID numbers masked)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    user = request.user
    _, f = _filters(request)
    period = f["period"]
    if period is None:
        messages.warning(request, "尚无已公布的年度考核期，没有可导出的名单。")
        return redirect("incentives:lists")
    label = ListKind(f["kind"]).label
    rows = _queryset(user, f)
    # every decision of the list in one query, instead of one per row
    decisions = {
        d.cadre_id: d
        for d in Decision.objects.filter(period=period, kind=f["kind"], cadre_id__in=rows.values("cadre_id"))
        .select_related("decided_by")
        .iterator()
    }
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(label[:30])
    for column, width in enumerate(XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A3"
    ws.append(styled_row(ws, [f"{period.name}“{label}”名单"], font=Font(size=14, bold=True)))
    ws.append(
        styled_row(
            ws,
            XLSX_HEADERS,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F2F2F2"),
            alignment=Alignment(horizontal="center"),
        )
    )
    for index, entry in enumerate(rows.iterator(chunk_size=2000), start=1):
        d = decisions.get(entry.cadre_id)
        ws.append(
            safe_row(
                ws,
                [
                    index,
                    entry.unit_label,
                    entry.cadre.name,
                    entry.cadre.masked_id_number,
                    entry.cadre.post_title,
                    "是" if entry.eligible else "否",
                    entry.position,
                    reasons_text(entry.reasons),
                    entry.coefficient,
                    entry.base,
                    entry.withheld,
                    entry.amount,
                    entry.due_date,
                    d.get_verdict_display() if d else "未决定",
                    d.reason if d else "",
                    str(d.decided_by) if d else "",
                    d.decided_on if d else None,
                ],
            )
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse that streams it)
    wb.save(out)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=f"{period.name}{label}名单.xlsx", content_type=XLSX_CONTENT_TYPE
    )


# ---------------------------------------------------------------- the hub's card


def _undecided(user) -> str | None:
    period = list_periods().first()
    if period is None:
        return None
    n = undecided_count(user, period=period)
    return f"{period.name}待决定 {n} 条" if n else None


hub_add(
    HubLink(
        "lists",
        "“三挂钩”名单与决定",
        "incentives:lists",
        "bi-list-check",
        "按已公布的年度考核结果计算的绩效奖金、评先选优、嘉奖记功、优先使用、定向选拔、80后比选、职级晋升名单，逐人登记同意或不同意",
        order=10,
        badge=_undecided,
    )
)

urlpatterns = [
    path("lists/", lists, name="lists"),
    path("lists/export/", lists_export, name="lists_export"),
    path("lists/compute/", lists_compute, name="lists_compute"),
    path("lists/<int:period>/<str:kind>/<int:cadre>/", entry_detail, name="entry_detail"),
    path("lists/<int:period>/<str:kind>/<int:cadre>/decide/", entry_decide, name="entry_decide"),
    path("lists/<int:period>/<str:kind>/<int:cadre>/withdraw/", entry_withdraw, name="entry_withdraw"),
]
