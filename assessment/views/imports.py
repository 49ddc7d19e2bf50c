"""Pages of Excel assessment-sheet imports: upload, the batch (errors, preview, confirm), the
annotated sheet, and the import history.

Thin: every write goes through ``services/imports.py``. Login and the ``import_sheets``
capability are required (403 otherwise); batches outside the user's subtree answer 404.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from cadres.selectors import KEY_RANGE, unit_label, units_visible_to
from core.xlsx import XLSX_CONTENT_TYPE

from ..models import SCORING_STATUSES, ImportBatch, ImportStatus
from ..selectors import import_batches_visible_to, periods_visible_to
from ..services import imports as services

ERRORS_PAGE_SIZE = 100
PREVIEW_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 30
# The unit list of the upload form; a larger scope types the unit code instead.
UNIT_CHOICES_LIMIT = 500


def _require(user) -> None:
    if not user.can("import_sheets"):
        raise PermissionDenied("您的角色无权导入评分表。")


def _batch(user, pk) -> ImportBatch:
    try:
        return (
            import_batches_visible_to(user)
            .select_related("period", "unit", "uploaded_by", "job")
            .annotate(unit_label=unit_label("unit__"))
            .get(pk=pk)
        )
    except (ImportBatch.DoesNotExist, ValueError, ValidationError):
        raise Http404("导入批次不存在或不在您的管辖范围内。") from None


def _int_or_none(value):
    """An id from the query string, or None (also for one no key can hold)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in KEY_RANGE else None


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


@login_required
def import_upload(request):
    user = request.user
    _require(user)
    periods = list(periods_visible_to(user).filter(status__in=SCORING_STATUSES).order_by("-year", "-pk"))
    units = list(
        units_visible_to(user)
        .order_by("path")
        .only("pk", "name", "code", "path")
        .annotate(label=unit_label())[:UNIT_CHOICES_LIMIT]
    )
    period_id = _int_or_none(request.POST.get("period") or request.GET.get("period"))
    unit_id = _int_or_none(request.POST.get("unit") or request.GET.get("unit"))
    error = ""
    status = 200
    if request.method == "POST":
        period = next((p for p in periods if p.pk == period_id), None)
        unit = None
        upload = request.FILES.get("file")
        if unit_id is not None:
            unit = units_visible_to(user).filter(pk=unit_id).first()
        if period is None:
            error, status = "请选择处于采集评分或评定等次阶段的考核期。", 400
        elif unit_id is not None and unit is None:
            error, status = "所选单位不存在或不在您的管辖范围内。", 400
        elif upload is None:
            error, status = "请选择要上传的评分表文件。", 400
        elif upload.size > services.max_bytes():
            error, status = f"文件过大，上限为 {services.max_bytes() // 1024 // 1024} MB。", 413
        else:
            try:
                batch = services.import_start(
                    actor=user,
                    period=period,
                    unit=unit,
                    data=upload.read(),
                    filename=upload.name,
                    sheet=(request.POST.get("sheet") or "").strip() or None,
                )
            except services.ImportRejected as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("assessment:import_detail", pk=batch.pk)
    return render(
        request,
        "assessment/import_upload.html",
        {
            "periods": periods,
            "units": units,
            "period_id": period_id,
            "unit_id": unit_id,
            "error": error,
            "max_mb": services.max_bytes() // 1024 // 1024,
        },
        status=status,
    )


@login_required
def import_detail(request, pk):
    user = request.user
    _require(user)
    batch = _batch(user, pk)
    errors = Paginator(batch.errors or [], ERRORS_PAGE_SIZE).get_page(request.GET.get("epage"))
    preview = batch.preview or {}
    changes = Paginator(preview.get("rows") or [], PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    running = batch.status in (ImportStatus.PENDING, ImportStatus.VALIDATING) or (
        batch.job is not None and batch.job.state in ("pending", "running")
    )
    has_changes = bool(preview.get("new") or preview.get("changed"))
    return render(
        request,
        "assessment/import_detail.html",
        {
            "batch": batch,
            "errors": errors,
            "changes": changes,
            "preview": preview,
            "running": running,
            "can_commit": batch.status == ImportStatus.VALIDATED and has_changes and not running,
            "annotated": any(e.get("row") for e in (batch.errors or [])[:ERRORS_PAGE_SIZE])
            and bool(batch.file),
            "job_url": reverse("api-job", kwargs={"pk": batch.job_id}) if batch.job_id else "",
        },
    )


@login_required
@require_POST
def import_commit(request, pk):
    user = request.user
    _require(user)
    batch = _batch(user, pk)
    # The preview's checkbox: the indicators the sheet has no column for keep their scores.
    keep_missing = request.POST.get("keep_missing") in ("1", "on", "true")
    refused = services.confirmation_needed(batch, keep_missing)
    if batch.status == ImportStatus.COMMITTED:
        messages.info(request, "该批次已导入，未重复写入。")
    elif refused:
        messages.error(request, refused)
    elif batch.rows_total > services.async_rows():
        services.import_queue(actor=user, batch=batch, commit=True, keep_missing=keep_missing)
        messages.info(request, "已排入后台导入，可离开本页，稍后在导入记录中查看结果。")
    else:
        try:
            batch = services.import_commit(actor=user, batch=batch, keep_missing=keep_missing)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            if getattr(batch, "already_committed", False):
                messages.info(request, services.ALREADY_COMMITTED)
            else:
                messages.success(request, batch.message)
    return redirect("assessment:import_detail", pk=pk)


@login_required
def import_annotated(request, pk):
    """The uploaded sheet with every bad cell filled red and commented with its message."""
    user = request.user
    _require(user)
    batch = _batch(user, pk)
    if not batch.file or not batch.errors:
        raise Http404("该批次没有需要标注的错误。")
    content = services.annotated_sheet(batch)
    stem = batch.original_name.rsplit(".", 1)[0]
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _attachment(f"{stem}-错误标注.xlsx")
    return response


@login_required
def import_file(request, pk):
    """The file as uploaded (for the history)."""
    user = request.user
    _require(user)
    batch = _batch(user, pk)
    if not batch.file:
        raise Http404("文件未保存。")
    return FileResponse(batch.file.open("rb"), as_attachment=True, filename=batch.original_name)


@login_required
def import_history(request):
    user = request.user
    _require(user)
    qs = (
        import_batches_visible_to(user)
        .select_related("period", "unit", "uploaded_by")
        .defer("preview")
        .annotate(unit_label=unit_label("unit__"))
    )
    period_id = _int_or_none(request.GET.get("period"))
    status = request.GET.get("status") or ""
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if status in ImportStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-created_at", "-pk"), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/import_history.html",
        {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "periods": periods_visible_to(user).order_by("-year", "-pk"),
            "statuses": ImportStatus.choices,
            "period_id": period_id,
            "status": status,
            "async_rows": getattr(settings, "IMPORT_ASYNC_ROWS", 5000),
        },
    )


urlpatterns = [
    path("imports/", import_history, name="import_history"),
    path("imports/upload/", import_upload, name="import_upload"),
    path("imports/<uuid:pk>/", import_detail, name="import_detail"),
    path("imports/<uuid:pk>/commit/", import_commit, name="import_commit"),
    path("imports/<uuid:pk>/annotated.xlsx", import_annotated, name="import_annotated"),
    path("imports/<uuid:pk>/file/", import_file, name="import_file"),
]
