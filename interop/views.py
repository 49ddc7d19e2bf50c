"""Pages of the 任免审批表 import (upload, preview, commit, history) and the LRMX downloads.
Thin: writes go through ``services``, files through ``exports``. Importing needs
``edit_registry`` (checked before a batch is looked up); downloading, reading the cadre."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from cadres.models import CadreFacts
from cadres.selectors import cadre_get, scope_q, unit_get, unit_label, units_visible_to

from . import exports, intake, services
from .api import LRMX_TYPE, attachment
from .errors import UploadRejected
from .forms import UploadForm
from .models import BatchStatus, LrmxBatch

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 30


def _require(user) -> None:
    if not user.can("edit_registry"):
        raise PermissionDenied("您的角色无权导入任免审批表。")


def batches_visible_to(user):
    return LrmxBatch.objects.filter(scope_q(user))


def _batch(user, pk) -> LrmxBatch:
    try:
        return batches_visible_to(user).select_related("unit", "uploaded_by").get(pk=pk)
    except (LrmxBatch.DoesNotExist, ValueError, TypeError):
        raise Http404("导入批次不存在或不在您的管辖范围内。") from None


@login_required
def upload(request):
    user = request.user
    _require(user)
    units = list(units_visible_to(user).annotate(label=unit_label()).order_by("path"))
    error = ""
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, units=units)
        files = request.FILES.getlist("files")
        if not files:
            error = "请选择要导入的 LRMX 或 LRM 文件（可以多选，或上传 .zip 压缩包）。"
            status = 400
        elif form.is_valid():
            try:
                intake.check_size(sum(f.size for f in files))
                batch = services.batch_create(
                    actor=user,
                    unit=form.units[form.cleaned_data["unit"]],
                    files=[(f.name, f.read()) for f in files],
                    defaults={k: form.cleaned_data[k] for k in ("kind", "rank", "identity")},
                )
            except UploadRejected as exc:
                error, status = exc.message, exc.status
            except ValidationError as exc:
                error = (
                    "；".join(m for ms in exc.message_dict.values() for m in ms)
                    if hasattr(exc, "error_dict")
                    else "；".join(exc.messages)
                )
                status = 400
            else:
                return redirect("interop:batch", batch.pk)
        else:
            status = 400
    else:
        form = UploadForm(units=units, initial={"unit": request.GET.get("unit")})
    return render(
        request,
        "interop/upload.html",
        {"form": form, "error": error, "max_mb": intake.max_bytes() // intake.MB},
        status=status,
    )


def _page_range(page):
    """The page numbers ``includes/pagination.html`` shows, with ellipses."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


@login_required
@require_safe
def batch_list(request):
    user = request.user
    _require(user)
    qs = (
        batches_visible_to(user)
        .select_related("unit", "uploaded_by")
        .defer("preview", "errors", "notes")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(qs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "interop/batch_list.html", {"page": page, "page_range": _page_range(page)})


@login_required
@require_safe
def batch_detail(request, pk):
    user = request.user
    _require(user)
    batch = _batch(user, pk)
    action = request.GET.get("show") or ""
    entries = batch.preview
    if action in ("create", "update", "unchanged", "error"):
        entries = [e for e in entries if e["action"] == action]
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "interop/batch_detail.html",
        {
            "batch": batch,
            "page": page,
            "page_range": _page_range(page),
            "show": action,
            "can_commit": batch.status == BatchStatus.VALIDATED,
        },
    )


@login_required
@require_POST
def batch_commit(request, pk):
    user = request.user
    _require(user)
    batch = _batch(user, pk)
    try:
        batch = services.batch_commit(actor=user, batch=batch)
    except (ValidationError, UploadRejected) as exc:
        messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))
    else:
        level = messages.SUCCESS if batch.status == BatchStatus.COMMITTED else messages.ERROR
        messages.add_message(request, level, batch.message)
    return redirect("interop:batch", batch.pk)


@login_required
@require_safe
def cadre_lrmx(request, pk):
    cadre = cadre_get(request.user, pk)
    response = HttpResponse(exports.cadre_lrmx(request.user, cadre), content_type=LRMX_TYPE)
    response["Content-Disposition"] = attachment(exports.filename(cadre))
    return response


@login_required
@require_safe
def unit_lrmx(request, pk):
    unit = unit_get(request.user, pk)
    try:
        data = exports.unit_zip(request.user, unit)
    except exports.TooMany as exc:
        messages.error(request, exc.message)
        return redirect("cadres:unit_detail", unit.pk)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = attachment(f"{unit.name}任免审批表.zip")
    return response


@login_required
@require_safe
def cadre_photo(request, pk):
    cadre = cadre_get(request.user, pk)
    photo = CadreFacts.objects.filter(cadre=cadre).values_list("photo", flat=True).first()
    if not photo:
        raise Http404("没有照片。")
    data = bytes(photo)
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    response = HttpResponse(data, content_type=kind)
    response["Cache-Control"] = "private, no-store"
    return response
