"""``{% registration_card a %}``: the 考核登记表 card of a result's page (assessment_detail.html):
the PDF and Word downloads for every reader, and the link to enter the texts for those who may."""

from django import template

from ..services.registration import registration_refusal

register = template.Library()


@register.inclusion_tag("assessment/registration_card.html", takes_context=True)
def registration_card(context, assessment):
    user = context["request"].user
    if not assessment.period.is_annual:
        return {"shown": False}
    return {
        "shown": True,
        "a": assessment,
        "can_edit": user.can("manage_assessment") and not registration_refusal(assessment),
    }
