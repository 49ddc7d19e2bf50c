"""The lists job (``incentives.lists``): compute the 三挂钩 lists of one period (or one subtree)
in the background. Queued when the grades of a published annual period are published or
corrected (``receivers``), when a list rule changes (``policy_lists``), and by a user's request
(``queue_lists_job``, the lists page's button)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from assessment.models import Period, PeriodStatus
from cadres.models import Unit
from core.jobs import jobs_create, register, reusable_pending
from core.models import Job

JOB_KIND = "incentives.lists"


def _covers(outer: str, inner: str) -> bool:
    return inner.startswith(outer)


def _covers_job(job: Job, unit_path: str, cadre_ids: set[int] | None) -> bool:
    if not _covers(job.params.get("unit_path", ""), unit_path):
        return False
    waiting_for = job.params.get("cadre_ids")
    return waiting_for is None or (cadre_ids is not None and cadre_ids <= set(waiting_for))


def queue_lists_job(
    *,
    period_id: int | None = None,
    unit_id: int | None = None,
    reason: str = "",
    actor=None,
    cadre_ids=None,
) -> Job | None:
    """Queue (after commit) the computation of the lists of period ``period_id`` over ``unit_id``'s
    subtree (None: the whole period), or of only ``cadre_ids`` (a change of their record). A
    waiting job of the period that covers it and will really run is returned instead of a new
    one. Without ``period_id``: the same for every published annual period (returns the last
    job, None when there is none).

    Raises ``ValidationError`` (Chinese) for a period that has no lists (not annual, not
    published or archived) or a unit that does not exist; the caller checks that the user may
    act on the unit (the lists page's button)."""
    from . import check_period

    if period_id is None:
        jobs = [
            queue_lists_job(period_id=pk, unit_id=unit_id, reason=reason, actor=actor, cadre_ids=cadre_ids)
            for pk in published_periods()
        ]
        return jobs[-1] if jobs else None
    period = Period.objects.filter(pk=period_id).first()
    if period is None:
        raise ValidationError({"period": "考核期不存在。"})
    check_period(period)
    unit_path = ""
    if unit_id is not None:
        unit = Unit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise ValidationError({"unit": "单位不存在。"})
        unit_path = unit.path
    only = None if cadre_ids is None else {int(c) for c in cadre_ids}
    if only is not None and not only:
        return None
    waiting = reusable_pending(Job.objects.filter(kind=JOB_KIND, params__period=period.pk))
    for job in waiting:
        if _covers_job(job, unit_path, only):
            return job
    params = {"period": period.pk, "unit": unit_id, "unit_path": unit_path, "reason": reason}
    if only is not None:
        params["cadre_ids"] = sorted(only)
    return jobs_create(kind=JOB_KIND, actor=actor, items=[(params, unit_path)])[0]


def latest_lists_job(period_id: int) -> Job | None:
    """The latest lists job of a period (waiting, running or finished), for a page to show its
    progress (``done``/``total``) or result; scope is the caller's to check (``scope_path``)."""
    return Job.objects.filter(kind=JOB_KIND, params__period=period_id).order_by("-created_at").first()


def published_periods() -> list[int]:
    """The published annual periods, oldest first (archived ones keep their lists until asked)."""
    return list(
        Period.objects.filter(quarter__isnull=True, status=PeriodStatus.PUBLISHED)
        .order_by("year")
        .values_list("pk", flat=True)
    )


def queue_lists_for_published(*, actor=None, unit: Unit | None = None, reason: str = "") -> list[Job]:
    """The lists of every published annual period over ``unit``'s subtree (a rule changed)."""
    return [
        queue_lists_job(period_id=pk, unit_id=unit.pk if unit else None, reason=reason, actor=actor)
        for pk in published_periods()
    ]


@register(JOB_KIND)
def _run(job: Job) -> dict:
    from . import lists_compute

    try:
        return lists_compute(
            period=job.params["period"],
            unit=job.params.get("unit"),
            cadre_ids=job.params.get("cadre_ids"),
            job=job,
        )
    except ValidationError as exc:  # the period was reopened meanwhile: nothing to compute
        return {"skipped": "；".join(exc.messages)}
    except (Period.DoesNotExist, Unit.DoesNotExist):
        return {"skipped": "考核期或单位已不存在。"}
