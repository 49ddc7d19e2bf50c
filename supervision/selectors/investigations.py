"""Reads of investigations (立案审查), each taking the caller so scope cannot be forgotten."""

from django.db.models import QuerySet
from django.http import Http404

from cadres.selectors import scope_q, unit_label

from ..models import Investigation


def investigations_visible_to(user) -> QuerySet[Investigation]:
    return Investigation.objects.filter(scope_q(user, prefix="cadre__unit__"))


def investigation_get(user, pk) -> Investigation:
    try:
        return investigations_visible_to(user).select_related("cadre", "cadre__unit").get(pk=pk)
    except (Investigation.DoesNotExist, ValueError, TypeError):
        raise Http404("立案审查记录不存在或不在您的管辖范围内。") from None


def investigation_list(user, *, state: str = "", unit=None, name: str = "") -> QuerySet[Investigation]:
    """The list page's rows: ``state`` open / closed / '' (all), ``unit`` with its subtree, a name
    part; newest first; ``unit_label`` tells namesake units apart."""
    qs = (
        investigations_visible_to(user)
        .select_related("cadre", "cadre__unit")
        .annotate(unit_label=unit_label("cadre__unit__"))
    )
    if state == "open":
        qs = qs.filter(closed_on__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_on__isnull=False)
    if unit is not None:
        qs = qs.filter(cadre__unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(cadre__name__contains=name.strip())
    return qs.order_by("-opened_on", "-id")


def cadre_investigations(user, cadre) -> QuerySet[Investigation]:
    return investigations_visible_to(user).filter(cadre=cadre).order_by("-opened_on", "-id")


def profile_context(user, cadre) -> dict | None:
    """The cadre's investigations (one query); the section is left out when there are none and
    the user may not record one."""
    rows = list(cadre_investigations(user, cadre))
    can_edit = user.can("edit_registry")
    if not rows and not can_edit:
        return None
    return {
        "investigations": rows,
        "investigations_open": sum(1 for r in rows if r.is_open),
        "investigations_cadre": cadre,
        "investigations_can_edit": can_edit,
    }
