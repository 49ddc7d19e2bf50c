"""What the 赛马 area plugs in (called from ``incentives.policy_tracks.register``): the ranking
job, its trigger (the grades of an annual period published or corrected), and the demo step."""

from __future__ import annotations

from assessment.models import Period, PeriodStatus
from assessment.signals import grades_recomputed
from core import registry
from core.jobs import register as register_job
from core.models import Job

# Rankings follow the published results; an open period is ranked from the page's button.
RANKED_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)


def _run(job: Job) -> dict:
    from .services_tracks import tracks_rank

    period = Period.objects.filter(pk=job.params.get("period")).first()
    if period is None:  # deleted meanwhile: nothing to rank
        return {"ranked": 0, "message": "考核期已不存在。"}
    return tracks_rank(period=period, job=job)


def _grades_recomputed(sender, *, period_id=None, status="", annual=True, **kwargs):
    if not (annual and status in RANKED_STATUSES and period_id):
        return
    from .services_tracks import tracks_rank_queue

    period = Period.objects.filter(pk=period_id).first()
    if period is not None:
        tracks_rank_queue(period=period, reason="考核结果公布或更正")


def register() -> None:
    from .demo_tracks import seed_tracks
    from .services_tracks import JOB_KIND

    register_job(JOB_KIND)(_run)
    grades_recomputed.connect(_grades_recomputed, dispatch_uid="incentives.tracks.grades_recomputed")
    # after the lists' history years (340), whose 2024 it ranks; the flag job it queues raises a flag
    registry.demo_step("tracks", order=360, seed=seed_tracks)
