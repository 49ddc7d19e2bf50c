"""Pages of the supervision records: problem clues (问题信息档案), personal-matters spot checks
(个人有关事项报告抽查) and the follow-through of 述职评议 problem lists.

Views stay thin: parse, call one service or selector, render. Every role reads within its
subtree (objects outside answer 404); only roles with ``edit_registry`` write (others get 403).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cadres.selectors import cadre_get, units_visible_to

from ..forms_records import (
    CheckFilterForm,
    CheckForm,
    ClueCloseForm,
    ClueFilterForm,
    ClueForm,
    ClueVerifyForm,
    ReviewCheckForm,
    ReviewCloseForm,
    ReviewFilterForm,
    ReviewItemForm,
    ReviewOpenForm,
    apply_errors,
)
from ..models import CheckOutcome, ClueStatus, ReviewItemStatus
from ..selectors import records as selectors
from ..services import records as services

PAGE_SIZE = 50
PICKER_ERRORS = {"cadre": "cadre_query", "secretary": "cadre_query"}


def _require_edit(user) -> None:
    if not user.can("edit_registry"):
        raise PermissionDenied("您的角色只能查阅监督记录，不能登记或修改。")


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _filters(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


def _interview_url(interview_id) -> str | None:
    """The interview page, once the interview part of the app provides one."""
    if not interview_id:
        return None
    try:
        return reverse("supervision:interview_detail", args=[interview_id])
    except NoReverseMatch:
        return None


def _preset_cadre(request):
    pk = request.GET.get("cadre") or request.POST.get("cadre")
    return cadre_get(request.user, pk) if pk else None


# ---------------------------------------------------------------- index


@login_required
def records_home(request):
    user = request.user
    today = timezone.localdate()
    clue_counts = selectors.clue_status_counts(user)
    summary = selectors.check_summary(user, year=today.year - 1)
    review = selectors.review_items_visible_to(user).aggregate(
        open=Count("id", filter=Q(status=ReviewItemStatus.OPEN)),
        overdue=Count("id", filter=Q(status=ReviewItemStatus.OPEN, deadline__lt=today)),
    )
    return render(
        request,
        "supervision/records/home.html",
        {
            "pending_clues": clue_counts[ClueStatus.PENDING],
            "on_hold": selectors.cadres_on_hold_ids(user).count(),
            "last_year": today.year - 1,
            "last_year_summary": summary[0] if summary else None,
            "open_items": review["open"] or 0,
            "overdue_items": review["overdue"] or 0,
            "can_edit": user.can("edit_registry"),
        },
    )


# ---------------------------------------------------------------- problem clues


@login_required
def clue_list(request):
    user = request.user
    form = ClueFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = _filters(form)
    clues = selectors.clue_list(
        user,
        source=filters.get("source", ""),
        status=filters.get("status", ""),
        unit=filters.get("unit"),
        name=filters.get("name", ""),
    )
    page, page_range = _page(request, clues)
    return render(
        request,
        "supervision/records/clue_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "on_hold": selectors.cadres_on_hold_ids(user).count(),
            "filtered": any(v not in (None, "") for v in filters.values()),
            "can_edit": user.can("edit_registry"),
        },
    )


@login_required
def clue_create(request):
    user = request.user
    preset = _preset_cadre(request)
    _require_edit(user)
    form = ClueForm(request.POST or None, user=user, units=units_visible_to(user), preset=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            clue = services.clue_create(
                actor=user,
                cadre=data["cadre"],
                source=data["source"],
                received_on=data["received_on"],
                summary=data["summary"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, PICKER_ERRORS)
        else:
            messages.success(request, f"已登记关于“{clue.cadre.name}”的问题线索；核实前该干部暂缓使用。")
            return redirect("supervision:clue_detail", pk=clue.pk)
    return render(request, "supervision/records/clue_form.html", {"form": form, "preset": preset})


def _render_clue_detail(request, clue, verify_form=None, close_form=None):
    user = request.user
    can_edit = user.can("edit_registry")
    if can_edit and clue.status == ClueStatus.PENDING and verify_form is None:
        verify_form = ClueVerifyForm()
    if can_edit and clue.status == ClueStatus.CONFIRMED and close_form is None:
        close_form = ClueCloseForm()
    others = list(
        selectors.clues_visible_to(user).filter(cadre=clue.cadre).exclude(pk=clue.pk).order_by("-received_on")
    )
    return render(
        request,
        "supervision/records/clue_detail.html",
        {
            "clue": clue,
            "others": others,
            "on_hold": clue.status == ClueStatus.PENDING
            or any(o.status == ClueStatus.PENDING for o in others),
            "verify_form": verify_form if clue.status == ClueStatus.PENDING else None,
            "close_form": close_form if clue.status == ClueStatus.CONFIRMED else None,
            "can_edit": can_edit,
        },
    )


@login_required
def clue_detail(request, pk):
    return _render_clue_detail(request, selectors.clue_get(request.user, pk))


@login_required
@require_POST
def clue_verify(request, pk):
    user = request.user
    clue = selectors.clue_get(user, pk)
    _require_edit(user)
    form = ClueVerifyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            clue = services.clue_verify(
                actor=user,
                clue=clue,
                status=data["status"],
                verified_on=data["verified_on"],
                conclusion=data["conclusion"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            clue = selectors.clue_get(user, pk)
        else:
            messages.success(request, f"已登记核实结果：{clue.get_status_display()}。")
            return redirect("supervision:clue_detail", pk=clue.pk)
    if clue.status != ClueStatus.PENDING and form.errors:
        # Already verified (by someone else, or a replayed form): say so on top of the page.
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("supervision:clue_detail", pk=clue.pk)
    return _render_clue_detail(request, clue, verify_form=form)


@login_required
@require_POST
def clue_close(request, pk):
    user = request.user
    clue = selectors.clue_get(user, pk)
    _require_edit(user)
    form = ClueCloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            clue = services.clue_close(
                actor=user, clue=clue, closed_on=data["closed_on"], conclusion=data["conclusion"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            clue = selectors.clue_get(user, pk)
        else:
            messages.success(request, "线索已了结。")
            return redirect("supervision:clue_detail", pk=clue.pk)
    if clue.status != ClueStatus.CONFIRMED and form.errors:
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("supervision:clue_detail", pk=clue.pk)
    return _render_clue_detail(request, clue, close_form=form)


# ---------------------------------------------------------------- personal-matters spot checks


@login_required
def check_list(request):
    user = request.user
    form = CheckFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = _filters(form)
    checks = selectors.check_list(
        user,
        year=filters.get("year"),
        outcome=filters.get("outcome", ""),
        unit=filters.get("unit"),
        name=filters.get("name", ""),
    )
    page, page_range = _page(request, checks)
    for check in page.object_list:
        check.interview_url = _interview_url(check.interview_id)
    return render(
        request,
        "supervision/records/check_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "summary": selectors.check_summary(user, year=filters.get("year"), unit=filters.get("unit"))[:5],
            "filtered": any(v not in (None, "") for v in filters.values()),
            "can_edit": user.can("edit_registry"),
            "untruthful": CheckOutcome.UNTRUTHFUL,
        },
    )


@login_required
def check_create(request):
    user = request.user
    preset = _preset_cadre(request)
    _require_edit(user)
    form = CheckForm(request.POST or None, user=user, units=units_visible_to(user), preset=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check = services.matters_check_create(
                actor=user,
                cadre=data["cadre"],
                year=data["year"],
                checked_on=data["checked_on"],
                outcome=data["outcome"],
                handling=data["handling"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, PICKER_ERRORS)
        else:
            text = f"已登记“{check.cadre.name}”{check.year}年度个人有关事项报告抽查结果：{check.get_outcome_display()}"
            if check.interview_id:
                text += f"，并登记{check.get_handling_display()}谈话记录"
            messages.success(request, text + "。")
            return redirect(reverse("supervision:check_list") + f"?year={check.year}")
    return render(request, "supervision/records/check_form.html", {"form": form, "preset": preset})


# ---------------------------------------------------------------- 述职评议 follow-through


@login_required
def review_list(request):
    user = request.user
    form = ReviewFilterForm(request.GET or None, user=user, units=units_visible_to(user))
    filters = _filters(form)
    rows = selectors.review_secretaries(
        user,
        year=filters.get("year"),
        unit=filters.get("unit"),
        name=filters.get("name", ""),
        open_only=not filters.get("include_closed"),
    )
    page, page_range = _page(request, rows)
    return render(
        request,
        "supervision/records/review_list.html",
        {
            "form": form,
            "page": page,
            "page_range": page_range,
            "filtered": any(v not in (None, "", False) for v in filters.values()),
            "can_edit": user.can("edit_registry"),
            "this_year": timezone.localdate().year,
        },
    )


@login_required
def review_open(request):
    """Find a secretary's problem list of a year (to read it, or to start entering it)."""
    user = request.user
    bound = any(k in request.GET for k in ("cadre", "cadre_query", "year"))
    form = ReviewOpenForm(request.GET if bound else None, user=user, units=units_visible_to(user))
    if bound and form.is_valid():
        return redirect(
            "supervision:review_detail",
            cadre_pk=form.cleaned_data["cadre"].pk,
            year=form.cleaned_data["year"],
        )
    return render(request, "supervision/records/review_open.html", {"form": form})


def _review_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404("年度无效。")
    return year


def _render_review_detail(request, cadre, year, *, item_form=None, bound=None):
    """The secretary's list of ``year``; ``bound`` = (item id, "check" | "close", bound form)."""
    user = request.user
    can_edit = user.can("edit_registry")
    today = timezone.localdate()
    items = selectors.secretary_items(user, cadre, year)
    carried = list(selectors.open_items_carried_over(user, cadre, year))
    for item in [*items, *carried]:
        item.overdue = (
            item.status == ReviewItemStatus.OPEN and item.deadline is not None and item.deadline < today
        )
        item.check_list = list(item.checks.all())
        if can_edit and item.status == ReviewItemStatus.OPEN:
            item.check_form = ReviewCheckForm(prefix=f"c{item.pk}")
            item.close_form = ReviewCloseForm(prefix=f"x{item.pk}")
            if bound and bound[0] == item.pk:
                setattr(item, f"{bound[1]}_form", bound[2])
                item.open_panel = bound[1]
    if can_edit and item_form is None:
        item_form = ReviewItemForm()
    closed = sum(1 for i in items if i.status == ReviewItemStatus.CLOSED)
    return render(
        request,
        "supervision/records/review_detail.html",
        {
            "cadre": cadre,
            "year": year,
            "items": items,
            "carried": carried,
            "closed": closed,
            "total": len(items),
            "percent": round(closed * 100 / len(items)) if items else 0,
            "item_form": item_form,
            "can_edit": can_edit,
            "prev_year": year - 1,
            "next_year": year + 1,
            "show_next": year + 1 <= today.year + 1,
        },
    )


@login_required
def review_detail(request, cadre_pk, year):
    cadre = cadre_get(request.user, cadre_pk)
    return _render_review_detail(request, cadre, _review_year(year))


@login_required
@require_POST
def review_item_add(request, cadre_pk, year):
    user = request.user
    cadre = cadre_get(user, cadre_pk)
    year = _review_year(year)
    _require_edit(user)
    form = ReviewItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.review_item_create(
                actor=user,
                secretary=cadre,
                year=year,
                problem=data["problem"],
                measure=data["measure"],
                deadline=data["deadline"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已添加问题。")
            return redirect(reverse("supervision:review_detail", args=[cadre.pk, year]) + "#items")
    return _render_review_detail(request, cadre, year, item_form=form)


def _back_year(request, item) -> int:
    """The year of the page the form was sent from (a carried-over item shows on later years)."""
    try:
        return _review_year(int(request.POST.get("page_year", item.year)))
    except (TypeError, ValueError):
        return item.year


@login_required
@require_POST
def review_check_add(request, pk):
    user = request.user
    item = selectors.review_item_get(user, pk)
    _require_edit(user)
    back = _back_year(request, item)
    form = ReviewCheckForm(request.POST, prefix=f"c{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            check = services.review_item_check(
                actor=user,
                item=item,
                year=data["year"],
                quarter=data["quarter"],
                status=data["status"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            item = selectors.review_item_get(user, pk)
        else:
            messages.success(
                request,
                f"已登记{check.year}年{check.get_quarter_display()}检查：{check.get_status_display()}。",
            )
            return redirect(
                reverse("supervision:review_detail", args=[item.secretary_id, back]) + f"#item-{item.pk}"
            )
    if item.status == ReviewItemStatus.CLOSED:
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(
            reverse("supervision:review_detail", args=[item.secretary_id, back]) + f"#item-{item.pk}"
        )
    return _render_review_detail(request, item.secretary, back, bound=(item.pk, "check", form))


@login_required
@require_POST
def review_item_close(request, pk):
    user = request.user
    item = selectors.review_item_get(user, pk)
    _require_edit(user)
    back = _back_year(request, item)
    form = ReviewCloseForm(request.POST, prefix=f"x{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.review_item_close(
                actor=user, item=item, closed_on=data["closed_on"], evidence=data["evidence"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            item = selectors.review_item_get(user, pk)
        else:
            messages.success(request, "问题已销号。")
            return redirect(
                reverse("supervision:review_detail", args=[item.secretary_id, back]) + f"#item-{item.pk}"
            )
    if item.status == ReviewItemStatus.CLOSED:
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(
            reverse("supervision:review_detail", args=[item.secretary_id, back]) + f"#item-{item.pk}"
        )
    return _render_review_detail(request, item.secretary, back, bound=(item.pk, "close", form))


urlpatterns = [
    path("records/", records_home, name="records_home"),
    path("records/clues/", clue_list, name="clue_list"),
    path("records/clues/new/", clue_create, name="clue_create"),
    path("records/clues/<int:pk>/", clue_detail, name="clue_detail"),
    path("records/clues/<int:pk>/verify/", clue_verify, name="clue_verify"),
    path("records/clues/<int:pk>/close/", clue_close, name="clue_close"),
    path("records/checks/", check_list, name="check_list"),
    path("records/checks/new/", check_create, name="check_create"),
    path("records/review/", review_list, name="review_list"),
    path("records/review/open/", review_open, name="review_open"),
    path("records/review/<int:cadre_pk>/<int:year>/", review_detail, name="review_detail"),
    path("records/review/<int:cadre_pk>/<int:year>/items/", review_item_add, name="review_item_add"),
    path("records/review/items/<int:pk>/check/", review_check_add, name="review_check_add"),
    path("records/review/items/<int:pk>/close/", review_item_close, name="review_item_close"),
]
