"""What assessment adds to the cadre profile (see ``core.registry``)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from core import registry

from .models import PeriodStatus
from .selectors import assessments_visible_to, cadre_assessments


def _grades(user, cadre) -> dict:
    return {"grades": cadre_assessments(user, cadre)}


def _published_grades(user, cadre, limit: int):
    rows = (
        assessments_visible_to(user)
        .filter(cadre=cadre, period__status__in=[PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED])
        .select_related("period")
        .order_by("-period__published_at", "-period__year", "-id")[:limit]
    )
    for assessment in rows:
        period = assessment.period
        published = period.published_at
        yield registry.TimelineEntry(
            on=timezone.localtime(published).date() if published else datetime.date(period.year, 12, 31),
            kind="考核等次",
            title=period.name,
            detail=assessment.final_grade or "未评定",
            url=reverse("assessment:assessment_detail", args=[assessment.pk]),
        )


def register() -> None:
    from .demo import seed_assessment

    registry.demo_step("assessment", order=200, seed=seed_assessment)
    registry.profile_section(
        "assessment.grades",
        title="考核结果",
        order=100,
        template="assessment/_profile_grades.html",
        context=_grades,
    )
    registry.timeline_source("assessment.grades", label="考核等次", entries=_published_grades)

    from .registry_appeals import register as register_appeals

    register_appeals()  # 复核申诉: profile, timeline, a head's 待办, demo
