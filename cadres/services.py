"""Every write to units, cadres and their histories. Each records the audit trail in the same
transaction. Permission (role) failures raise PermissionDenied (403); objects outside the
actor's subtree raise Http404; bad data raises ValidationError with Chinese messages."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditAction
from audit.services import audit_record, snapshot

from . import idnumber
from .models import Cadre, Education, PostKind, PostRecord, TeamMembership, Unit, UnitKind
from .moves import MoveKind, move_allowed, with_note
from .selectors import unit_in_scope
from .signals import grading_facts_changed

# Which kinds of unit may sit under which.
CHILD_KINDS = {
    UnitKind.PROVINCE: {UnitKind.CITY, UnitKind.DEPARTMENT},
    UnitKind.CITY: {UnitKind.COUNTY, UnitKind.DEPARTMENT, UnitKind.TOWNSHIP},
    UnitKind.COUNTY: {UnitKind.TOWNSHIP, UnitKind.DEPARTMENT},
    UnitKind.TOWNSHIP: {UnitKind.VILLAGE, UnitKind.DEPARTMENT},
    UnitKind.DEPARTMENT: {UnitKind.DEPARTMENT},
    UnitKind.VILLAGE: set(),
}


def _require(actor, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您的角色无权执行此操作。")


def _require_unit(actor, unit: Unit, field: str = "unit") -> None:
    if not unit_in_scope(actor, unit):
        raise ValidationError({field: "该单位不在您的管辖范围内。"})


# ---------------------------------------------------------------- units


@transaction.atomic
def unit_create(*, actor, parent: Unit | None, code: str, name: str, kind: str) -> Unit:
    _require(actor, "edit_registry")
    code = (code or "").strip()
    name = (name or "").strip()
    errors = {}
    if not code:
        errors["code"] = "请填写单位代码。"
    elif Unit.objects.filter(code=code).exists():
        errors["code"] = f"单位代码“{code}”已被使用。"
    if not name:
        errors["name"] = "请填写单位名称。"
    if kind not in UnitKind.values:
        errors["kind"] = "单位类别无效。"
    if parent is None:
        if not actor.is_superuser:
            errors["parent"] = "请选择上级单位。"
    else:
        _require_unit(actor, parent, "parent")
        if kind in UnitKind.values and UnitKind(kind) not in CHILD_KINDS[UnitKind(parent.kind)]:
            errors["kind"] = f"“{parent.get_kind_display()}”下不能设立“{UnitKind(kind).label}”。"
    if errors:
        raise ValidationError(errors)
    if parent is None:
        unit = Unit.objects.add_root(create_kwargs={"code": code, "name": name, "kind": kind})
    else:
        # treebeard works on a fresh copy of the parent (numchild may be stale in ours).
        target = Unit.objects.get(pk=parent.pk)
        unit = Unit.objects.add_child(target, create_kwargs={"code": code, "name": name, "kind": kind})
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=unit, after=snapshot(unit), scope_path=unit.path
    )
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, name: str, code: str) -> Unit:
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")
    before = snapshot(unit)
    code = (code or "").strip()
    name = (name or "").strip()
    errors = {}
    if not code:
        errors["code"] = "请填写单位代码。"
    elif Unit.objects.filter(code=code).exclude(pk=unit.pk).exists():
        errors["code"] = f"单位代码“{code}”已被使用。"
    if not name:
        errors["name"] = "请填写单位名称。"
    if errors:
        raise ValidationError(errors)
    unit.name, unit.code = name, code
    unit.save(update_fields=["name", "code", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=unit,
        before=before,
        after=snapshot(unit),
        scope_path=unit.path,
    )
    return unit


# ---------------------------------------------------------------- cadres

CADRE_FIELDS = [
    "unit",
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "birth_date",
    "work_start_date",
    "political_status",
    "party_join_date",
    "identity",
    "kind",
    "rank",
    "rank_start_date",
    "post_title",
    "post_start_date",
    "status",
    "township_service_start",
    "probation_end",
    "phone",
    "notes",
]


def _validate_cadre(actor, cadre: Cadre) -> None:
    if cadre.unit_id:
        _require_unit(actor, cadre.unit)
    if cadre.id_number:
        cadre.id_number = idnumber.normalize(cadre.id_number)
    errors = {}
    if cadre.probation_end and cadre.work_start_date and cadre.probation_end < cadre.work_start_date:
        errors["probation_end"] = ["试用期满日期不能早于参加工作时间。"]
    try:
        cadre.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ValidationError({**errors, **exc.message_dict}) from None
    if errors:
        raise ValidationError(errors)
    # The number is encrypted: its keyed hash is what the database can compare.
    clash = Cadre.objects.filter(id_number_hash=idnumber.digest(cadre.id_number)).exclude(pk=cadre.pk)
    if clash.exists():
        raise ValidationError({"id_number": "该身份证号已登记在册，不能重复登记。"})


def _save_cadre(cadre: Cadre) -> None:
    try:
        with transaction.atomic():
            cadre.save()
    except IntegrityError:
        # Two concurrent saves of the same ID number: the unique index decides.
        raise ValidationError({"id_number": "该身份证号已登记在册，不能重复登记。"}) from None


@transaction.atomic
def cadre_create(*, actor, **data) -> Cadre:
    _require(actor, "edit_registry")
    unknown = set(data) - set(CADRE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    cadre = Cadre(**data)
    _validate_cadre(actor, cadre)
    _save_cadre(cadre)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=cadre,
        after=snapshot(cadre),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
    )
    return cadre


@transaction.atomic
def cadre_update(*, actor, cadre: Cadre, reason: str = "", approval_reason: str = "", **data) -> Cadre:
    """Change a cadre's record. A change of unit is a transfer: the move checks of
    ``cadres.moves`` run on it (today), and a head may let a refused one through with
    ``approval_reason`` (written into the audit entry)."""
    return _cadre_update(actor, cadre, reason, approval_reason, None, data)


def _cadre_update(actor, cadre: Cadre, reason: str, approval_reason: str, move_on, data: dict) -> Cadre:
    import datetime

    from django.utils import timezone

    _require(actor, "edit_registry")
    if not unit_in_scope(actor, cadre.unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")
    unknown = set(data) - set(CADRE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    # Compare against what is stored, not what the caller's instance may already hold.
    stored = Cadre.objects.select_for_update().select_related("unit").get(pk=cadre.pk)
    before = snapshot(stored)
    for key, value in data.items():
        setattr(cadre, key, value)
    _validate_cadre(actor, cadre)
    if cadre.unit_id != stored.unit_id:
        _require_teams_kept(cadre)
        on = move_on if isinstance(move_on, datetime.date) else timezone.localdate()
        note = move_allowed(
            actor=actor,
            cadre=stored,
            new_unit=cadre.unit,
            kind=MoveKind.TRANSFER,
            on=min(on, timezone.localdate()),
            approval_reason=approval_reason,
        )
        reason = with_note(reason, note)
    _save_cadre(cadre)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cadre,
        before=before,
        after=snapshot(cadre),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
        reason=reason,
    )
    if cadre.probation_end != stored.probation_end:
        _probation_changed(actor, cadre, stored.unit.path)
    return cadre


def _probation_changed(actor, cadre: Cadre, old_path: str) -> None:
    """Probation to the year's end keeps the annual grade 不定等次: the open periods follow."""
    ids, paths = [cadre.pk], sorted({cadre.unit.path, old_path})
    transaction.on_commit(
        lambda: grading_facts_changed.send(
            sender=Cadre, cadre_ids=ids, unit_paths=paths, actor=actor, reason="试用期满日期变化"
        )
    )


@transaction.atomic
def cadre_post_change(
    *,
    actor,
    cadre: Cadre,
    post_title: str,
    on,
    reason: str = "",
    approval_reason: str = "",
    post_kind: str = PostKind.REGULAR,
    post_unit: Unit | None = None,
    **data,
) -> Cadre:
    """A change of post (转岗, 降职, 平职调整 ...): the current post and 任现职时间 change with the rest
    of ``data``, and the post history follows: the open entry ends the day before ``on`` (or on it,
    if it started that day) and a new entry starts on ``on``. A date still to come changes the
    title only; the history is written when the change has happened.

    The new entry is of ``post_kind`` at ``post_unit`` (default: the cadre's unit). A change of
    ``unit`` in ``data`` is a transfer and a new entry of kind 借调 a secondment: both go through
    the move checks (``cadres.moves``) on ``on``; a head's ``approval_reason`` lets a refused one
    through."""
    import datetime

    from django.utils import timezone

    if on is None or on > timezone.localdate():
        return cadre_update(
            actor=actor,
            cadre=cadre,
            reason=reason,
            approval_reason=approval_reason,
            post_title=post_title,
            **data,
        )
    cadre = _cadre_update(
        actor, cadre, reason, approval_reason, on, {"post_title": post_title, "post_start_date": on, **data}
    )
    current = (
        cadre.posts.filter(end_date__isnull=True, start_date__lte=on).order_by("-start_date", "-id").first()
    )
    if current is not None:
        current.end_date = max(current.start_date, on - datetime.timedelta(days=1))
        history_save(actor=actor, cadre=cadre, instance=current)
    unit = post_unit or cadre.unit
    history_save(
        actor=actor,
        cadre=cadre,
        instance=PostRecord(unit=unit, unit_name=unit.name, title=post_title, kind=post_kind, start_date=on),
        approval_reason=approval_reason,
    )
    return cadre


def _require_teams_kept(cadre: Cadre) -> None:
    """A team member stays inside the team's unit subtree (as ``team_member_add`` requires):
    otherwise the team would go on listing, to the unit's users, a cadre they may not see.
    The teams named are in the actor's scope: it holds both the old and the new unit."""
    left = [
        m.unit.name
        for m in TeamMembership.objects.filter(cadre=cadre).select_related("unit")
        if not cadre.unit.path.startswith(m.unit.path)
    ]
    if left:
        raise ValidationError(
            {"unit": f"该干部是{'、'.join(left)}领导班子成员，调出前请先在单位页面将其移出班子。"}
        )


@transaction.atomic
def cadre_delete(*, actor, cadre: Cadre, reason: str = "") -> None:
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, cadre.unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")
    if TeamMembership.objects.filter(cadre=cadre).exists():
        raise ValidationError("该干部是领导班子成员，请先在单位页面将其移出班子。")
    pk, path = cadre.pk, cadre.unit.path
    children = [*cadre.educations.all(), *cadre.posts.all()]
    for child in children:
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            instance=child,
            before=snapshot(child),
            cadre_id=pk,
            scope_path=path,
            reason=reason,
        )
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=cadre,
        before=snapshot(cadre),
        cadre_id=pk,
        scope_path=path,
        reason=reason,
    )
    cadre.delete()


# ------------------------------------------------- education and post history

CHILD_MODELS = {"education": Education, "post": PostRecord}


@transaction.atomic
def history_save(
    *,
    actor,
    cadre: Cadre,
    instance: Education | PostRecord,
    reason: str = "",
    approval_reason: str = "",
) -> Education | PostRecord:
    """Create or update one education or post-history entry of ``cadre``. An entry of kind 借调
    (new, or changed in kind, unit or start) is a secondment: the move checks of
    ``cadres.moves`` run on it, and a head's ``approval_reason`` lets a refused one through."""
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, cadre.unit):
        raise PermissionDenied("该干部不在您的管辖范围内。")
    if isinstance(instance, PostRecord) and instance.unit_id:
        if not instance.unit_name:
            instance.unit_name = instance.unit.name
    creating = instance.pk is None
    stored = None if creating else type(instance).objects.get(pk=instance.pk)
    before = None if creating else snapshot(stored)
    instance.cadre = cadre
    instance.full_clean()
    if _is_new_secondment(instance, stored):
        note = move_allowed(
            actor=actor,
            cadre=Cadre.objects.select_related("unit").get(pk=cadre.pk),
            new_unit=instance.unit,
            kind=MoveKind.SECONDMENT,
            on=instance.start_date,
            approval_reason=approval_reason,
        )
        reason = with_note(reason, note)
    instance.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=instance,
        before=before,
        after=snapshot(instance),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
        reason=reason,
    )
    return instance


def _is_new_secondment(instance, stored) -> bool:
    """A post entry that becomes a secondment (new, or its kind, unit or start changed)."""
    if not isinstance(instance, PostRecord) or instance.kind != PostKind.SECONDMENT:
        return False
    if stored is None:
        return True
    return (stored.kind, stored.unit_id, stored.start_date) != (
        instance.kind,
        instance.unit_id,
        instance.start_date,
    )


@transaction.atomic
def history_delete(*, actor, cadre: Cadre, instance: Education | PostRecord) -> None:
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, cadre.unit) or instance.cadre_id != cadre.pk:
        raise PermissionDenied("该记录不在您的管辖范围内。")
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=instance,
        before=snapshot(instance),
        cadre_id=cadre.pk,
        scope_path=cadre.unit.path,
    )
    instance.delete()


# ---------------------------------------------------------------- leadership teams


@transaction.atomic
def team_member_add(
    *, actor, unit: Unit, cadre: Cadre, role_title: str, is_main_leader: bool = False, order: int = 0
) -> TeamMembership:
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")
    errors = {}
    if not cadre.unit.path.startswith(unit.path):
        errors["cadre"] = "班子成员应为本单位（含下级单位）的干部。"
    elif TeamMembership.objects.filter(unit=unit, cadre=cadre).exists():
        errors["cadre"] = "该干部已是本单位领导班子成员。"
    if not (role_title or "").strip():
        errors["role_title"] = "请填写班子职务，如“党委书记”。"
    if errors:
        raise ValidationError(errors)
    if is_main_leader:
        _clear_main_leader(actor, unit)
    member = TeamMembership.objects.create(
        unit=unit, cadre=cadre, role_title=role_title.strip(), is_main_leader=is_main_leader, order=order
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=member,
        after=snapshot(member),
        cadre_id=cadre.pk,
        scope_path=unit.path,
    )
    return member


def _clear_main_leader(actor, unit: Unit) -> None:
    for current in TeamMembership.objects.filter(unit=unit, is_main_leader=True):
        before = snapshot(current)
        current.is_main_leader = False
        current.save(update_fields=["is_main_leader"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=current,
            before=before,
            after=snapshot(current),
            cadre_id=current.cadre_id,
            scope_path=unit.path,
        )


@transaction.atomic
def team_set_main_leader(*, actor, member: TeamMembership) -> TeamMembership:
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, member.unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")
    if member.is_main_leader:
        return member
    _clear_main_leader(actor, member.unit)
    before = snapshot(member)
    member.is_main_leader = True
    member.save(update_fields=["is_main_leader"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=member,
        before=before,
        after=snapshot(member),
        cadre_id=member.cadre_id,
        scope_path=member.unit.path,
    )
    return member


@transaction.atomic
def team_member_remove(*, actor, member: TeamMembership) -> None:
    _require(actor, "edit_registry")
    if not unit_in_scope(actor, member.unit):
        raise PermissionDenied("该单位不在您的管辖范围内。")
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=member,
        before=snapshot(member),
        cadre_id=member.cadre_id,
        scope_path=member.unit.path,
    )
    member.delete()
