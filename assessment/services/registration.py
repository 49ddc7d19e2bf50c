"""The 公务员年度考核登记表 of an annual assessment: the texts staff enter (``registration_save``)
and the reads that assemble the whole form for one cadre or a unit's batch.

Texts may be entered and changed while the period is anything but archived: departments fill
the form in after the grades are published (the 本人意见 is written once the cadre has seen the
grade), and an archived period is the record that no longer changes.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet

from audit.models import AuditAction
from audit.services import audit_record, snapshot
from cadres.selectors import unit_in_scope, unit_label

from ..models import Assessment, PeriodStatus, RegistrationText
from ..selectors import assessments_visible_to

# Field name -> (label, longest text accepted). The form's cells hold about a page each.
TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "duty": ("从事或分管工作", 200),
    "summary": ("个人总结", 3000),
    "leader_comment": ("主管领导评语和考核等次建议", 1000),
    "committee_opinion": ("机关负责人或考核委员会意见", 1000),
    "own_opinion": ("本人意见", 500),
    "ungraded_note": ("未确定等次或不参加考核情况说明", 1000),
}


def registration_refusal(assessment: Assessment) -> str:
    """Why the texts of this assessment cannot be edited now, or ''."""
    period = assessment.period
    if not period.is_annual:
        return "考核登记表只用于年度考核，季度平时考核没有登记表。"
    if period.status == PeriodStatus.ARCHIVED:
        return f"{period.name}已归档，考核登记表不能再修改。"
    return ""


@transaction.atomic
def registration_save(*, actor, assessment: Assessment, **texts: str) -> RegistrationText:
    """Create or update the form's texts of ``assessment``; fields not given keep their value."""
    if not actor.can("manage_assessment"):
        raise PermissionDenied("您的角色无权填写考核登记表。")
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("period", "unit", "cadre")
        .get(pk=assessment.pk)
    )
    if not unit_in_scope(actor, locked.unit):
        raise PermissionDenied("该考核结果不在您的管辖范围内。")
    refusal = registration_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    unknown = sorted(set(texts) - set(TEXT_FIELDS))
    if unknown:
        raise ValidationError(f"考核登记表没有这些栏目：{'、'.join(unknown)}。")
    errors = {}
    cleaned = {}
    for name, value in texts.items():
        label, limit = TEXT_FIELDS[name]
        value = "" if value is None else str(value).replace("\r\n", "\n").strip()
        if "\x00" in value:
            errors[name] = f"“{label}”含有无法保存的字符。"
        elif len(value) > limit:
            errors[name] = f"“{label}”最多 {limit} 字，现有 {len(value)} 字。"
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)

    text = RegistrationText.objects.select_for_update().filter(assessment=locked).first()
    before = snapshot(text) if text else None
    if text is None:
        text = RegistrationText(assessment=locked)
    for name, value in cleaned.items():
        setattr(text, name, value)
    if before is None and not any(cleaned.values()):
        return text  # an empty form saved: nothing to record
    if before is not None and all(before[name] == value for name, value in cleaned.items()):
        return text  # nothing changed: no write, no audit entry
    text.updated_by = actor
    text.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=text,
        before=before,
        after=snapshot(text),
        cadre_id=locked.cadre_id,
        scope_path=locked.unit.path,
    )
    return text


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class RegistrationForm:
    """Everything one printed form shows, read from the cadre, the assessment and the texts."""

    assessment: Assessment
    year: int
    name: str
    gender: str
    birth: str
    political_status: str
    post_since: str
    unit_and_post: str
    duty: str
    summary: str
    leader_comment: str
    committee_opinion: str
    own_opinion: str
    ungraded_note: str
    grade: str

    @property
    def filename_stem(self) -> str:
        return f"{self.year}年度考核登记表-{self.name}"


def _month(value) -> str:
    return f"{value.year}年{value.month:02d}月" if value else ""


def _form(a: Assessment) -> RegistrationForm:
    cadre = a.cadre
    try:
        text = a.registration
    except RegistrationText.DoesNotExist:
        text = RegistrationText(assessment=a)
    unit_name = getattr(a, "unit_label", None) or a.unit.name
    return RegistrationForm(
        assessment=a,
        year=a.period.year,
        name=cadre.name,
        gender=cadre.get_gender_display(),
        # 出生年月 only: the form never carries the full birth date or the ID number
        birth=_month(cadre.birth_date),
        political_status=cadre.get_political_status_display(),
        post_since=_month(cadre.post_start_date),
        unit_and_post=f"{unit_name} {cadre.post_title}".strip(),
        duty=text.duty or cadre.post_title,
        summary=text.summary,
        leader_comment=text.leader_comment,
        committee_opinion=text.committee_opinion,
        own_opinion=text.own_opinion,
        ungraded_note=text.ungraded_note,
        grade=a.final_grade,
    )


def _rows(user) -> QuerySet[Assessment]:
    # registration is a reverse one-to-one: select_related joins it (LEFT OUTER), no extra query
    return (
        assessments_visible_to(user)
        .filter(period__quarter__isnull=True)
        .select_related("period", "cadre", "unit", "registration")
        .annotate(unit_label=unit_label("unit__"))
    )


def registration_for(user, assessment: Assessment) -> RegistrationForm:
    """The form of one assessment the caller already holds (scoped); one query."""
    return _form(_rows(user).get(pk=assessment.pk))


def registrations_of_unit(user, *, period, unit) -> list[RegistrationForm]:
    """The forms of every cadre assessed in ``unit``'s subtree in the annual ``period``, in the
    order of the results page. One query, whatever the number of cadres."""
    rows = (
        _rows(user)
        .filter(period=period, unit__path__startswith=unit.path)
        .order_by("unit__path", F("rank_in_unit").asc(nulls_last=True), "cadre_id")
    )
    return [_form(a) for a in rows]
