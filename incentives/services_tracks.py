"""Writes of the 赛马 area: the tracks themselves (one list for the whole tree), the per-period
assignment of cadres to tracks, and the rankings (``recall.TrackStanding``).

The track list applies to every unit, so, like recall's 惰政 catalogue, only a user whose scope
is the whole tree changes it, with ``manage_incentives`` (the capability of the incentives work,
which names the tracks and rankings; a track change alters no score or grade: a stored code keeps
working when its track is renamed or deactivated). A code in use (by an assessment, an indicator
or a standing) cannot be changed or deleted; the track can be deactivated instead.

A cadre's track in a period is ``Assessment.track``: ``tracks_assign`` sets it for many cadres
at once through ``scores_save`` (the one door for assessments: scope, the active-track check,
the audit trail and the recomputation of the totals), in periods still open for scores.

``tracks_rank`` ranks an annual period (``incentives.ranking``) and writes its standings
set-based, keeping a standing's row where the cadre stays in the track (flag facts cite it); the
cadres whose standing changed get the flag job (``recall.tasks.queue_flag_job``) so the
"bottom of a track" rule follows."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from assessment.models import SCORING_STATUSES, Assessment, Period, PeriodStatus, RaceTrack
from assessment.selectors import assessments_visible_to
from assessment.services.scores import scores_save
from assessment.tracks import TrackTable
from audit.models import AuditAction
from audit.services import audit_record, snapshot
from core.bulk import pick
from core.jobs import job_create, progress, reusable_pending
from core.models import Job
from recall.models import TrackStanding

from .ranking import JiScores, rank_period
from .selectors_tracks import tracks_editable, tracks_in_use

JOB_KIND = "incentives.track_rank"
# The flag rules read published results only; standings of an open period flag nobody yet.
FLAGGED_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
CODE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
WHOLE_TREE = "赛马赛道适用于全部单位，只有管理范围为全部单位的用户可以修改。"


def _require_manage(actor) -> None:
    if not actor.can("manage_incentives"):
        raise PermissionDenied("您的角色无权管理赛马赛道和排名。")


def _require_tracks(actor) -> None:
    _require_manage(actor)
    if not tracks_editable(actor):
        raise PermissionDenied(WHOLE_TREE)


def _audited(*, actor, track: RaceTrack, action: str, before: dict | None, reason: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        instance=track,
        before=before,
        after=None if action == AuditAction.DELETE else snapshot(track),
        # filed where the editor's scope (the whole tree) starts, so those who read it see it
        scope_path=actor.scope_path or "",
        reason=reason,
    )


def _text(value, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}。"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}个字。"})
    return text


# --------------------------------------------------------------------------- the tracks


@transaction.atomic
def track_save(
    *, actor, track: RaceTrack | None = None, code: str, name: str, description: str = ""
) -> RaceTrack:
    """Add a track (at the end of the list, active) or rename one. The code is what records
    store: it may change only while nothing uses it."""
    _require_tracks(actor)
    code = (code or "").strip().lower()
    if not code:
        raise ValidationError({"code": "请填写赛道代码。"})
    if not CODE_RE.match(code):
        raise ValidationError(
            {"code": "赛道代码以小写字母开头，只含小写字母、数字、下划线或连字符，不超过20个字符。"}
        )
    name = _text(name, "name", "赛道名称", 50)
    description = _text(description, "description", "说明", 200, required=False)
    if track is not None:
        track = RaceTrack.objects.select_for_update().get(pk=track.pk)
        if code != track.code and track.code in tracks_in_use([track.code]):
            raise ValidationError(
                {"code": f"赛道代码“{track.code}”已被考核记录、指标或排名使用，不能修改；可修改赛道名称。"}
            )
    if RaceTrack.objects.filter(code=code).exclude(pk=getattr(track, "pk", None)).exists():
        raise ValidationError({"code": f"赛道代码“{code}”已被其他赛道使用。"})
    if RaceTrack.objects.filter(name=name).exclude(pk=getattr(track, "pk", None)).exists():
        raise ValidationError({"name": f"赛道名称“{name}”已被其他赛道使用。"})
    before = snapshot(track) if track is not None else None
    if track is None:
        last = RaceTrack.objects.aggregate(m=Max("order"))["m"]
        track = RaceTrack(order=(last or 0) + 1, active=True)
    track.code, track.name, track.description = code, name, description
    try:
        with transaction.atomic():
            track.save()
    except IntegrityError:  # the same code or name saved at the same moment by someone else
        raise ValidationError({"code": "赛道代码或名称已被其他赛道使用。"}) from None
    _audited(
        actor=actor,
        track=track,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        before=before,
        reason=f"赛马赛道：{track.name}",
    )
    return track


@transaction.atomic
def track_set_active(*, actor, track: RaceTrack, active: bool) -> RaceTrack:
    """Deactivate a track (no new assignment or indicator may take it; what is stored keeps
    it and still ranks) or bring it back."""
    _require_tracks(actor)
    track = RaceTrack.objects.select_for_update().get(pk=track.pk)
    if track.active == bool(active):
        raise ValidationError(f"赛道“{track.name}”已{'启用' if active else '停用'}。")
    before = snapshot(track)
    track.active = bool(active)
    track.save(update_fields=["active"])
    _audited(
        actor=actor,
        track=track,
        action=AuditAction.UPDATE,
        before=before,
        reason=f"{'启用' if active else '停用'}赛马赛道：{track.name}",
    )
    return track


@transaction.atomic
def track_move(*, actor, track: RaceTrack, up: bool) -> RaceTrack:
    """Move a track one place up or down the list (the order of the pages, forms and rankings);
    the list is renumbered 1, 2, 3 …, each track whose number changed audited."""
    _require_tracks(actor)
    tracks = list(RaceTrack.objects.select_for_update().order_by("order", "id"))
    index = next((i for i, t in enumerate(tracks) if t.pk == track.pk), None)
    if index is None:
        raise ValidationError("赛道不存在。")
    other = index - 1 if up else index + 1
    if not 0 <= other < len(tracks):
        raise ValidationError(f"赛道“{tracks[index].name}”已在{'最前' if up else '最后'}。")
    tracks[index], tracks[other] = tracks[other], tracks[index]
    for number, item in enumerate(tracks, start=1):
        if item.order != number:
            before = snapshot(item)
            item.order = number
            item.save(update_fields=["order"])
            _audited(
                actor=actor, track=item, action=AuditAction.UPDATE, before=before, reason="调整赛马赛道顺序"
            )
    return next(t for t in tracks if t.pk == track.pk)


@transaction.atomic
def track_delete(*, actor, track: RaceTrack) -> None:
    """Delete a track nothing uses (one added by mistake); a track in use is deactivated instead."""
    _require_tracks(actor)
    track = RaceTrack.objects.select_for_update().get(pk=track.pk)
    if track.code in tracks_in_use([track.code]):
        raise ValidationError(f"赛道“{track.name}”已被考核记录、指标或排名使用，不能删除；如不再使用请停用。")
    before = snapshot(track)
    _audited(
        actor=actor,
        track=track,
        action=AuditAction.DELETE,
        before=before,
        reason=f"删除赛马赛道：{track.name}",
    )
    track.delete()


# --------------------------------------------------------------------------- assignment


def tracks_assign(*, actor, period: Period, cadre_ids, track: str) -> dict:
    """Put the cadres ``cadre_ids`` of ``period`` on ``track`` (a code; "" takes them off any
    track), all or nothing. Each must have an assessment in the period within the actor's
    subtree; the track must be active; the period must still take scores (the track decides
    which 个性 indicators count, so a published total would no longer match). Saved through
    ``scores_save``: audited per cadre, totals recomputed. Returns its counts."""
    _require_manage(actor)
    period = Period.objects.get(pk=period.pk)
    if period.status not in SCORING_STATUSES:
        raise ValidationError(
            {
                "period": f"考核期处于“{period.get_status_display()}”阶段，不能再调整赛道（赛道决定适用的个性指标和总分）。"
            }
        )
    track = (track or "").strip()
    problem = TrackTable().problem(track) if track else None
    if problem:
        raise ValidationError({"track": problem})
    try:
        ids = sorted({int(pk) for pk in cadre_ids})
    except (TypeError, ValueError):
        raise ValidationError({"cadres": "干部 id 应为整数。"}) from None
    if not ids:
        raise ValidationError({"cadres": "请选择干部。"})
    found = set(
        pick(assessments_visible_to(actor).filter(period=period), "cadre_id", ids).values_list(
            "cadre_id", flat=True
        )
    )
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            {"cadres": f"所选干部中有 {len(missing)} 人不在您的管辖范围内或未参加本考核期，未作任何修改。"}
        )
    return scores_save(
        actor=actor,
        period=period,
        entries=[{"cadre": pk, "scores": {}, "track": track} for pk in ids],
        source="赛道分配",
    )


# --------------------------------------------------------------------------- ranking


@transaction.atomic
def tracks_rank(*, period: Period, actor=None, job: Job | None = None, reason: str = "") -> dict:
    """Rank every track of the annual ``period`` (``incentives.ranking``) and make its standings
    what the ranking says: rows of cadres no longer ranked (no total, another track) go, places
    that moved are updated in place, new ones are added. Idempotent: a second run writes
    nothing. Queues the flag job for the cadres whose standing changed, if the period is
    published. One query per table; bulk writes."""
    # the period row's lock: a recomputation of its grades (which takes it first) is not
    # interleaved with the ranking that reads them
    period = Period.objects.select_for_update().get(pk=period.pk)
    if not period.is_annual:
        raise ValidationError({"period": "赛马排名按年度考核期进行，季度平时考核不排名。"})
    ji = JiScores(period)
    rows = []
    unranked = 0
    for cadre_id, track, total, scores, kind in (
        Assessment.objects.filter(period=period)
        .exclude(track="")
        .values_list("cadre_id", "track", "total_score", "scores", "cadre__kind")
        .iterator(chunk_size=5000)
    ):
        if total is None:
            unranked += 1
            continue
        rows.append((cadre_id, track, total, ji.of(scores, kind, track)))
    places = rank_period(rows)
    wanted = {
        (track, cadre_id): (place, len(by_cadre))
        for track, by_cadre in places.items()
        for cadre_id, place in by_cadre.items()
    }
    existing = {
        (track, cadre_id): (pk, position, of_total)
        for pk, track, cadre_id, position, of_total in TrackStanding.objects.filter(
            period=period
        ).values_list("pk", "track", "cadre_id", "position", "of_total")
    }
    gone = [(key, value[0]) for key, value in existing.items() if key not in wanted]
    writes = [
        TrackStanding(period=period, track=track, cadre_id=cadre_id, position=place, of_total=of_total)
        for (track, cadre_id), (place, of_total) in wanted.items()
        if existing.get((track, cadre_id), (None, None, None))[1:] != (place, of_total)
    ]
    if gone:
        ids = [pk for _, pk in gone]
        for start in range(0, len(ids), 5000):
            TrackStanding.objects.filter(pk__in=ids[start : start + 5000]).delete()
    if writes:
        TrackStanding.objects.bulk_create(
            writes,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["period", "track", "cadre"],
            update_fields=["position", "of_total"],
        )
    changed = {cadre_id for (_, cadre_id), _ in gone} | {w.cadre_id for w in writes}
    summary = {
        "ranked": len(wanted),
        "unranked": unranked,
        "tracks": len(places),
        "changed": len(changed),
        "written": len(writes),
        "removed": len(gone),
    }
    if changed:
        audit_record(
            actor=actor if actor is not None else (job.created_by if job else None),
            action=AuditAction.UPDATE,
            instance=period,
            before={"赛马排名": None},
            after={
                "赛马排名": f"{len(places)} 条赛道共 {len(wanted)} 人参加排名，名次变化 {len(changed)} 人"
                + (f"，{unranked} 人无加权总分未排名" if unranked else "")
            },
            reason=reason or (job.params.get("reason", "") if job else "") or "计算赛马排名",
        )
        if period.status in FLAGGED_STATUSES:
            from recall.tasks import queue_flag_job

            queue_flag_job(reason="赛马排名变化", cadre_ids=changed)
    if job is not None:
        progress(job, len(wanted), len(wanted))
    return summary


def tracks_rank_queue(*, period: Period, actor=None, reason: str = "") -> Job | None:
    """Queue the ranking of an annual ``period`` after the current commit; a waiting job for the
    same period is reused. Quarterly periods are not ranked (None)."""
    if period.quarter is not None:
        return None
    waiting = reusable_pending(Job.objects.filter(kind=JOB_KIND, params__period=period.pk)).first()
    if waiting is not None:
        return waiting
    return job_create(kind=JOB_KIND, actor=actor, params={"period": period.pk, "reason": reason})


def tracks_rank_request(*, actor, period: Period) -> Job | None:
    """A user's 重新计算排名. The ranking is of the whole period (a track ranks every cadre of
    the period), the same whoever asks for it, so any user who manages incentives may ask."""
    _require_manage(actor)
    if period.quarter is not None:
        raise ValidationError({"period": "赛马排名按年度考核期进行，季度平时考核不排名。"})
    return tracks_rank_queue(period=period, actor=actor, reason="手动重新计算赛马排名")
