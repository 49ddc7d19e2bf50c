"""``{% appeal_block a %}``: the 复核申诉 card of a result's page (assessment_detail.html): the
result's appeals, the filing deadline, and the button to record one while it may be."""

from django import template

from ..models import PeriodStatus
from ..selectors_appeals import appeals_visible_to
from ..services.appeals import appeal_deadline, filing_refusal

register = template.Library()


@register.inclusion_tag("assessment/appeal_block.html", takes_context=True)
def appeal_block(context, assessment):
    user = context["request"].user
    period = assessment.period
    if not period.is_annual or period.status not in (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED):
        return {"shown": False}
    deadline = appeal_deadline(period, assessment.unit)
    refusal = filing_refusal(period, deadline)
    appeals = list(
        appeals_visible_to(user)
        .filter(assessment=assessment)
        .select_related("decided_by")
        .order_by("-filed_on", "-id")
    )
    pending = any(ap.status == "pending" for ap in appeals)
    return {
        "shown": True,
        "a": assessment,
        "appeals": appeals,
        "deadline": deadline,
        "refusal": refusal,
        "can_file": user.can("manage_assessment") and not refusal and not pending,
        "pending": pending,
    }
