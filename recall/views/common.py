"""What the recall page modules share: the capability checks, paging and the filters' state."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.urls import reverse

from cadres.selectors import cadre_get

PAGE_SIZE = 50
# The services name the cadre ``cadre``; the picker shows its errors on ``cadre_query``.
PICKER_ERRORS = {"cadre": "cadre_query"}


def renamed(exc: ValidationError, rename: dict[str, str]) -> ValidationError:
    """A service's errors under the form's field names (``rename``: service field → form field)."""
    if hasattr(exc, "error_dict"):
        return ValidationError({rename.get(k, k): v for k, v in exc.error_dict.items()})
    return exc


def require_manage(user) -> None:
    if not user.can("manage_recall"):
        raise PermissionDenied("您的角色只能查阅召回和预警记录，不能办理。")


def require_approve(user, what: str = "召回") -> None:
    if not user.can("approve"):
        raise PermissionDenied(f"只有部长（分管负责人）可以审批{what}。")


def paged(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def filters_of(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


def is_filtered(filters: dict) -> bool:
    return any(v not in (None, "", False) for v in filters.values())


def preset_cadre(request):
    """The cadre named by ``?cadre=`` (from the profile's links), through the caller's scope."""
    pk = request.GET.get("cadre") or request.POST.get("cadre")
    return cadre_get(request.user, pk) if pk else None


# Pages for what a fact may cite (``{"model": ..., "id": ...}`` in a case's or a flag's facts).
FACT_PAGES = {
    "assessment.assessment": "assessment:assessment_detail",
    "supervision.interview": "supervision:interview_detail",
    "recall.recallcase": "recall:case_detail",
}


def facts_shown(facts) -> list[dict]:
    """Facts (label, value), each with a link to what it cites where there is a page for it.
    The linked page checks scope itself, so a link never shows more than its target allows."""
    shown = []
    for fact in facts or []:
        ref = fact.get("ref") or {}
        name = FACT_PAGES.get(ref.get("model", ""))
        url = reverse(name, args=[ref["id"]]) if name and ref.get("id") else ""
        shown.append({"label": fact.get("label", ""), "value": fact.get("value", ""), "url": url})
    return shown
