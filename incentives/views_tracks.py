"""The 赛马 pages: the tracks (/incentives/tracks/, edited by whole-tree managers), assigning the
cadres of a period to tracks, and the rankings with a unit's 红榜/黄榜 (page and xlsx)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from assessment.models import SCORING_STATUSES, Period, RaceTrack
from assessment.tracks import TrackTable
from cadres.forms import apply_service_errors
from cadres.selectors import unit_get, units_visible_to
from core.jobs import delivery_delayed
from core.xlsx import XLSX_CONTENT_TYPE

from . import services_tracks as services
from .forms_tracks import AssignFilterForm, AssignForm, RankingFilterForm, TrackForm
from .hub import HubLink, hub_add
from .policy_tracks import BOARD_RULE, BOARDS, board_text
from .ranking import TIE_RULE
from .rankings_shown import rankings_title, rankings_xlsx, shown_rows
from .selectors_tracks import (
    assignment_rows,
    default_period,
    track_list,
    track_rankings,
    tracks_editable,
)

PAGE_SIZE = 50
ASSIGN_PAGE_SIZE = 100


def _paged(request, qs, size=PAGE_SIZE):
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _require_manage(user) -> None:
    if not user.can("manage_incentives"):
        raise PermissionDenied("您的角色只能查阅赛马排名，不能管理赛道和排名。")


def _require_tracks(user) -> None:
    _require_manage(user)
    if not tracks_editable(user):
        raise PermissionDenied(services.WHOLE_TREE)


def _track(pk) -> RaceTrack:
    track = RaceTrack.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if track is None:
        raise Http404("赛道不存在。")
    return track


def _unit_of(request):
    """``?unit=``, through the caller's scope: a unit outside it answers 404, as a missing one."""
    pk = request.GET.get("unit")
    return unit_get(request.user, pk) if pk else None


# --------------------------------------------------------------------------- the tracks


@login_required
@require_safe
def tracks(request):
    return render(
        request,
        "incentives/tracks/tracks.html",
        {
            "tracks": track_list(),
            "can_edit": tracks_editable(request.user),
            "can_manage": request.user.can("manage_incentives"),
            "ttab": "tracks",
        },
    )


@login_required
def track_edit(request, pk=None):
    user = request.user
    track = _track(pk) if pk is not None else None
    _require_tracks(user)
    initial = {"code": track.code, "name": track.name, "description": track.description} if track else {}
    form = TrackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.track_save(actor=user, track=track, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存赛道“{saved.name}”。")
            return redirect(reverse("incentives:tracks") + f"#track-{saved.pk}")
    return render(
        request,
        "incentives/tracks/track_form.html",
        {"form": form, "track": track, "can_manage": True, "ttab": "tracks"},
    )


def _track_action(request, pk, act) -> object:
    user = request.user
    track = _track(pk)
    _require_tracks(user)
    try:
        act(user, track)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(reverse("incentives:tracks") + f"#track-{track.pk}")


@login_required
@require_POST
def track_move(request, pk):
    direction = request.POST.get("direction")

    def act(user, track):
        if direction not in ("up", "down"):
            raise ValidationError("请指明上移或下移。")
        services.track_move(actor=user, track=track, up=direction == "up")
        messages.success(request, f"已{'上移' if direction == 'up' else '下移'}赛道“{track.name}”。")

    return _track_action(request, pk, act)


@login_required
@require_POST
def track_active(request, pk):
    wanted = request.POST.get("active")

    def act(user, track):
        if wanted not in ("0", "1"):
            raise ValidationError("请指明启用或停用。")
        services.track_set_active(actor=user, track=track, active=wanted == "1")
        if wanted == "1":
            messages.success(request, f"已启用赛道“{track.name}”。")
        else:
            messages.success(request, f"已停用赛道“{track.name}”：不再分配新干部，已有记录和排名保留。")

    return _track_action(request, pk, act)


@login_required
@require_POST
def track_delete(request, pk):
    user = request.user
    track = _track(pk)
    _require_tracks(user)
    try:
        services.track_delete(actor=user, track=track)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(reverse("incentives:tracks") + f"#track-{track.pk}")
    messages.success(request, f"已删除赛道“{track.name}”。")
    return redirect("incentives:tracks")


# --------------------------------------------------------------------------- assignment


def _showing(form, request, period):
    """The filter form as shown: without a period asked for, it shows the one chosen."""
    if period is None or request.GET.get("period") == str(period.pk):
        return form
    data = request.GET.copy()
    data["period"] = str(period.pk)
    user = request.user
    shown = type(form)(data, user=user, units=units_visible_to(user), tracks=form.tracks)
    shown.is_valid()
    return shown


def _assign_period(form: AssignFilterForm) -> Period | None:
    """The chosen period, else the latest one still taking scores, else the latest."""
    chosen = form.cleaned_data.get("period") if form.is_valid() else None
    if chosen is not None:
        return chosen
    periods = form.fields["period"].queryset
    return periods.filter(status__in=SCORING_STATUSES).first() or periods.first()


@login_required
def track_assign(request):
    user = request.user
    _require_manage(user)
    unit = _unit_of(request)
    tracks_table = TrackTable()
    pick = AssignFilterForm(request.GET, user=user, units=units_visible_to(user), tracks=tracks_table)
    period = _assign_period(pick)
    pick = _showing(pick, request, period)
    wanted = pick.cleaned_data.get("track") if pick.is_valid() else ""
    form = AssignForm(request.POST or None, tracks=tracks_table)
    ticked: set[str] = set()
    if request.method == "POST":
        ticked = set(request.POST.getlist("cadre"))
        if period is None:
            messages.error(request, "尚无考核期。")
        elif form.is_valid():
            track = form.track_code()
            try:
                result = services.tracks_assign(actor=user, period=period, cadre_ids=ticked, track=track)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                name = tracks_table.name(track) if track else ""
                messages.success(
                    request,
                    (
                        f"已将 {len(ticked)} 名干部分配到“{name}”赛道"
                        if track
                        else f"已将 {len(ticked)} 名干部移出赛道"
                    )
                    + f"（变化 {result['updated'] + result['created']} 人），总分将按适用的个性指标重新计算。",
                )
                if delivery_delayed(reset=True):
                    messages.warning(request, "后台重新计算暂时无法排队，将在消息队列恢复后自动执行。")
                return redirect(request.get_full_path())
    rows = assignment_rows(user, period=period, unit=unit, track=wanted or None) if period else None
    page, page_range = _paged(request, rows, ASSIGN_PAGE_SIZE) if rows is not None else (None, [])
    for a in page or []:
        a.track_name = tracks_table.name(a.track)
    return render(
        request,
        "incentives/tracks/assign.html",
        {
            "pick": pick,
            "form": form,
            "period": period,
            "unit": unit,
            "page": page,
            "page_range": page_range,
            "ticked": ticked,
            "editable": period is not None and period.status in SCORING_STATUSES,
            "filtered": bool(unit or wanted),
            "can_manage": True,
            "ttab": "assign",
        },
    )


# --------------------------------------------------------------------------- rankings


@login_required
@require_safe
def track_rankings_view(request):
    user = request.user
    unit = _unit_of(request)
    tracks_table = TrackTable()
    form = RankingFilterForm(request.GET, user=user, units=units_visible_to(user), tracks=tracks_table)
    form.is_valid()  # a filter that does not read falls back to its default; the others apply
    data = getattr(form, "cleaned_data", {})
    period = data.get("period") or default_period(user)
    form = _showing(form, request, period)
    track, board = data.get("track") or "", data.get("board") or ""
    rankings = None
    page, page_range, rows = None, [], []
    if period is not None:
        rankings = track_rankings(
            user, period=period, unit=unit, track=track, board=board, tracks=tracks_table
        )
        if request.GET.get("format") == "xlsx":
            title = rankings_title(rankings)
            out = rankings_xlsx(rankings, rankings.rows.iterator(chunk_size=2000), title=title)
            response = FileResponse(
                out, as_attachment=True, filename=f"{title}.xlsx", content_type=XLSX_CONTENT_TYPE
            )
            response["X-Content-Type-Options"] = "nosniff"
            return response
        page, page_range = _paged(request, rankings.rows)
        rows = list(shown_rows(rankings, page.object_list))
    unranked = list(rankings.unranked[:50]) if rankings else []
    for a in unranked:
        a.track_name = tracks_table.name(a.track)
    query = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
    return render(
        request,
        "incentives/tracks/rankings.html",
        {
            "form": form,
            "period": period,
            "unit": unit,
            "rankings": rankings,
            "rows": rows,
            "page": page,
            "page_range": page_range,
            "unranked": unranked,
            "unranked_count": rankings.unranked.count() if rankings else 0,
            "tie_rule": TIE_RULE,
            "board_rule": BOARD_RULE,
            "board_text": board_text(rankings.params) if rankings else "",
            "boards": BOARDS,
            "board": board,
            "xlsx_url": "?" + urlencode({**query, "format": "xlsx"}),
            "can_manage": user.can("manage_incentives"),
            "filtered": bool(unit or track or board),
            "ttab": "rankings",
        },
    )


@login_required
@require_POST
def track_rank(request):
    user = request.user
    _require_manage(user)
    pk = request.POST.get("period", "")
    period = Period.objects.filter(pk=pk, quarter__isnull=True).first() if pk.isdigit() else None
    if period is None:
        messages.error(request, "请选择年度考核期。")
        return redirect("incentives:track_rankings")
    services.tracks_rank_request(actor=user, period=period)
    messages.success(request, f"已开始计算{period.name}的赛马排名，完成后本页显示新的名次。")
    if delivery_delayed(reset=True):
        messages.warning(request, "后台任务暂时无法排队，将在消息队列恢复后自动执行。")
    return redirect(reverse("incentives:track_rankings") + f"?period={period.pk}")


hub_add(
    HubLink(
        "tracks",
        "赛马排名",
        "incentives:track_rankings",
        "bi-trophy",
        "乡村振兴、项目建设、为企服务、基层治理等赛道内按年度考核总分排名，本单位前列上红榜、末位上黄榜；连续末位进入预警",
        order=40,
    )
)

urlpatterns = [
    path("tracks/", tracks, name="tracks"),
    path("tracks/new/", track_edit, name="track_new"),
    path("tracks/<int:pk>/edit/", track_edit, name="track_edit"),
    path("tracks/<int:pk>/move/", track_move, name="track_move"),
    path("tracks/<int:pk>/active/", track_active, name="track_active"),
    path("tracks/<int:pk>/delete/", track_delete, name="track_delete"),
    path("tracks/assign/", track_assign, name="track_assign"),
    path("tracks/rankings/", track_rankings_view, name="track_rankings"),
    path("tracks/rankings/rank/", track_rank, name="track_rank"),
]
