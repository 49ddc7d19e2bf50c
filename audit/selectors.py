from django.db.models import Q, QuerySet

from .models import AuditAction, AuditEntry


def audit_visible_to(user) -> QuerySet[AuditEntry]:
    """Entries about objects in the user's subtree, for roles that may read the trail."""
    if not user.can("view_audit"):
        return AuditEntry.objects.none()
    path = user.scope_path
    if path is None:
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.all()
    if path:
        qs = qs.filter(scope_path__startswith=path)
    return qs


def audit_list(
    user, *, model: str = "", action: str = "", actor: str = "", batch: str = "", q: str = ""
) -> QuerySet[AuditEntry]:
    qs = audit_visible_to(user)
    if model:
        qs = qs.filter(model=model)
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_label__contains=actor)
    if batch:
        qs = qs.filter(batch=batch)
    if q:
        qs = qs.filter(Q(object_repr__contains=q) | Q(reason__contains=q))
    return qs.order_by("-id")


def cadre_timeline(user, cadre) -> QuerySet[AuditEntry]:
    """The changes of one cadre's records (views of the full ID number are at /audit/, not here:
    every opening of the profile would add one)."""
    return audit_visible_to(user).filter(cadre_id=cadre.pk).exclude(action=AuditAction.VIEW).order_by("-id")
