"""What assessment adds to the cadre profile (see ``core.registry``)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from core import registry

from .models import PeriodStatus
from .reports import explanation_text
from .selectors import assessments_visible_to, cadre_assessments


def _grades(user, cadre) -> dict:
    return {"grades": cadre_assessments(user, cadre)}


# Rules every grade names (the score and the thresholds): the profile's 考核结果 leaves them out too.
ROUTINE_RULES = {"加权总分", "年度等次分数线", "季度等次分数线"}


def _grade_detail(assessment) -> str:
    """The grade with what produced it: ``优秀 · rule：effect（facts）；…``."""
    reasons = explanation_text(
        [
            e
            for e in assessment.explanation or []
            if isinstance(e, dict) and e.get("rule") not in ROUTINE_RULES
        ]
    )
    grade = assessment.final_grade or "未评定"
    return f"{grade} · {reasons}" if reasons else grade


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
            detail=_grade_detail(assessment),
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
    from .dashboard import register as register_dashboard

    register_dashboard()  # the home page's grade charts, scoring progress and imports
