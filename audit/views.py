"""The audit trail page (全程纪实): read-only, for roles that may read it."""

from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cadres import idnumber
from core.xlsx import XLSX_CONTENT_TYPE, safe_row, styled_row

from .formatting import number_text, time_text
from .models import AuditAction, AuditEntry
from .selectors import audit_list

PAGE_SIZE = 50
# Values shown masked to roles without ``view_id_number``.
SENSITIVE_FIELDS = {"id_number", "phone", "birth_date"}
# Fields kept in the trail for machines (grade_code follows final_grade, which is shown).
HIDDEN_FIELDS = {"grade_code", "viewed", "id_number_hash"}  # viewed: the ids behind an entry's "查看" text
# Labels for fields declared without a Chinese verbose_name (a foreign key without one is
# named after the model it points to).
FIELD_LABELS = {
    "created_by": "登记人",
    "uploaded_by": "上传人",
    "checked_by": "检查人",
    "sha256": "文件校验值",
}


@dataclass
class ChangeRow:
    label: str
    old: str
    new: str


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _own_app(app_config) -> bool:
    """An app of this project, not Django's or a library's (django-axes, DRF, ...): only the
    services of our apps write the trail."""
    return "site-packages" not in str(app_config.path) and app_config.label != "audit"


def model_choices() -> list[tuple[str, str]]:
    """Object types for the filter: every model of our apps, by its Chinese name (no query)."""
    choices = [
        (model._meta.label_lower, str(model._meta.verbose_name))
        for app_config in apps.get_app_configs()
        if _own_app(app_config)
        for model in app_config.get_models()
    ]
    return sorted(choices, key=lambda c: c[1])


def field_label(field: models.Field | None, name: str) -> str:
    if field is None:
        return name
    label = str(getattr(field, "verbose_name", name))
    if label.isascii():
        if name in FIELD_LABELS:
            return FIELD_LABELS[name]
        if isinstance(field, models.ForeignKey):
            return str(field.related_model._meta.verbose_name)
    return label


def _format(field: models.Field | None, value, names: dict, mask: bool) -> str:
    if value is None or value == "":
        return "（空）"
    if mask:
        name = getattr(field, "name", "")
        if name == "phone":
            return idnumber.mask_phone(str(value))
        if name == "birth_date":
            return str(value)[:7]  # the year and month, as the profile shows them
        return idnumber.mask(str(value))
    if field is None:
        return str(value)
    if isinstance(field, models.BooleanField):
        return "是" if value else "否"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        name = names.get((field.related_model, value))
        return f"{name}" if name else f"#{value}"
    if isinstance(field, models.DateTimeField):
        return time_text(value)
    if isinstance(field, (models.DecimalField, models.FloatField)):
        return number_text(value)
    return str(value)


def _name_cadres(entries: list[AuditEntry]) -> None:
    """Bulk writers know a cadre only by id and record ``考核期 1234``: show the name instead
    (the stored entry cannot change). One query for the page, and only if such an entry is on it."""
    numbered = [e for e in entries if e.cadre_id and e.object_repr.endswith(f" {e.cadre_id}")]
    if not numbered:
        return
    from cadres.models import Cadre

    names = dict(Cadre.objects.filter(pk__in={e.cadre_id for e in numbered}).values_list("pk", "name"))
    for entry in numbered:
        if entry.cadre_id in names:
            cut = len(str(entry.cadre_id))
            entry.object_repr = entry.object_repr[:-cut] + names[entry.cadre_id]


# How a unit or cadre outside the reader's scope shows in an entry's changes (a cadre moved
# in from another county: the county it came from is not named).
OUT_OF_SCOPE = "（不在您的管辖范围内或已删除）"


def _visible(model, user):
    """Where names of ``model`` are looked up: units and cadres only within the user's scope."""
    from cadres.models import Cadre, Unit
    from cadres.selectors import cadres_visible_to, unit_label, units_visible_to

    if model is Unit:
        # named as the lists name them (光明村（城关镇）), in the same query
        return units_visible_to(user).annotate(label=unit_label())
    if model is Cadre:
        return cadres_visible_to(user)
    return model._default_manager


def present_entries(
    entries, user, *, hide: frozenset[str] = frozenset(), with_changes: bool = True
) -> list[AuditEntry]:
    """Give each entry a ``model_label`` and ``rows`` of (Chinese field label, old, new).

    Foreign keys are shown by name: one query per related model for the whole page, never per row.
    """
    entries = list(entries)
    _name_cadres(entries)
    if not with_changes:
        for entry in entries:
            model = _model(entry.model)
            entry.model_label = str(model._meta.verbose_name) if model else entry.model
            entry.rows = []
        return entries
    can_see_ids = user.can("view_id_number")
    wanted: dict[type[models.Model], set] = {}
    for entry in entries:
        model = _model(entry.model)
        entry.model_class = model
        if model is None:
            continue
        for name, values in entry.changes.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if isinstance(field, models.ForeignKey):
                wanted.setdefault(field.related_model, set()).update(v for v in values if v is not None)
    # An entry about a unit is titled by its label (光明村（城关镇）) while the recorded name is
    # still the unit's name: read with the units the changes name (one more query only on a
    # page with unit entries and no unit in its changes).
    unit_entries = [
        e
        for e in entries
        if e.model_class is not None
        and e.model_class._meta.label_lower == "cadres.unit"
        and e.object_id.isdigit()
    ]
    if unit_entries:
        wanted.setdefault(unit_entries[0].model_class, set()).update(int(e.object_id) for e in unit_entries)
    names = {}
    for related, ids in wanted.items():
        visible = _visible(related, user)
        for pk, obj in visible.in_bulk(list(ids)).items():
            names[(related, pk)] = getattr(obj, "label", None) or str(obj)
        if visible is not related._default_manager:
            names.update({(related, pk): OUT_OF_SCOPE for pk in ids if (related, pk) not in names})
    for entry in unit_entries:
        label = names.get((entry.model_class, int(entry.object_id)), "")
        if label.startswith(f"{entry.object_repr}（"):
            entry.object_repr = label
    for entry in entries:
        model = entry.model_class
        entry.model_label = str(model._meta.verbose_name) if model else entry.model
        rows = []
        for name, (old, new) in entry.changes.items():
            if name in hide or name in HIDDEN_FIELDS:
                continue
            field = None
            if model is not None:
                try:
                    field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    field = None
            # A model may spell out its JSON fields (scores by indicator, rule parameters).
            expand = getattr(model, "audit_change_rows", None) if field is not None else None
            expanded = expand(name, old, new) if expand else None
            if expanded is not None:
                rows.extend(ChangeRow(*row) for row in expanded)
                continue
            mask = name in SENSITIVE_FIELDS and not can_see_ids
            rows.append(
                ChangeRow(
                    field_label(field, name),
                    _format(field, old, names, mask),
                    _format(field, new, names, mask),
                )
            )
        entry.rows = rows
    return entries


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(required=False, label="对象类型")
    action = forms.ChoiceField(choices=[("", "全部操作"), *AuditAction.choices], required=False, label="操作")
    actor = forms.CharField(required=False, label="操作人", max_length=150)
    batch = forms.CharField(required=False, label="批次", max_length=64)
    q = forms.CharField(required=False, label="对象或原因", max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "全部对象类型"), *model_choices()]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name in {"model", "action"} else "form-control"
        self.fields["actor"].widget.attrs["placeholder"] = "用户名或姓名"
        self.fields["batch"].widget.attrs["placeholder"] = "批次编号"
        self.fields["q"].widget.attrs["placeholder"] = "对象名称或原因包含"


def _filtered(request):
    if not request.user.can("view_audit"):
        raise PermissionDenied("您的角色无权查看全程纪实。")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters, audit_list(request.user, **{k: v for k, v in filters.items() if v})


@login_required
@require_safe
def audit_list_view(request):
    form, filters, entries = _filtered(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = present_entries(page.object_list, request.user)
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filtered": any(filters.values()),
            "export_cap": EXPORT_CAP,
        },
    )


# ---------------------------------------------------------------- the export

EXPORT_CAP = 50_000  # rows in one workbook; more: narrow the filters
EXPORT_CHUNK = 2000
EXPORT_HEADERS = ["时间", "操作人", "操作", "对象类型", "对象", "变更内容", "原因", "批次"]
EXPORT_WIDTHS = [17, 18, 14, 14, 30, 60, 30, 20]


def _changes_text(entry) -> str:
    """The changed fields as the page shows them: a new entry's values, a deleted one's, or old → new."""
    if entry.action == AuditAction.CREATE:
        return "；".join(f"{row.label}：{row.new}" for row in entry.rows)
    if entry.action == AuditAction.DELETE:
        return "；".join(f"{row.label}：{row.old}" for row in entry.rows)
    return "；".join(f"{row.label}：{row.old} → {row.new}" for row in entry.rows)


def _export_chunks(entries, user):
    """The entries in chunks, each presented as the page presents them (names, masks): one
    query per chunk and per related model named in it, never per row."""
    chunk: list = []
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(entry)
        if len(chunk) == EXPORT_CHUNK:
            yield from present_entries(chunk, user)
            chunk = []
    if chunk:
        yield from present_entries(chunk, user)


def audit_xlsx(entries, user, *, title: str, note: str = ""):
    import tempfile

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("全程纪实")
    for column, width in enumerate(EXPORT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.append(styled_row(ws, [title], font=Font(size=14, bold=True)))
    if note:
        ws.append(styled_row(ws, [note], font=Font(bold=True, color="C00000")))
    ws.append(
        styled_row(
            ws,
            EXPORT_HEADERS,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F2F2F2"),
            alignment=Alignment(horizontal="center"),
        )
    )
    for entry in _export_chunks(entries, user):
        ws.append(
            safe_row(
                ws,
                [
                    time_text(entry.at),
                    entry.actor_label,
                    entry.get_action_display(),
                    entry.model_label,
                    entry.object_repr,
                    _changes_text(entry),
                    entry.reason,
                    entry.batch,
                ],
            )
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse that streams it)
    wb.save(out)
    out.seek(0)
    return out


@login_required
@require_safe
def audit_export(request):
    """The filtered trail as .xlsx, newest first, at most ``EXPORT_CAP`` entries (the sheet says
    so when there are more)."""
    form, filters, entries = _filtered(request)
    more = entries[EXPORT_CAP : EXPORT_CAP + 1].exists()
    note = (
        f"符合条件的记录超过 {EXPORT_CAP} 条，仅导出最新的 {EXPORT_CAP} 条；请缩小筛选范围后分批导出。"
        if more
        else ""
    )
    now = timezone.localtime()
    out = audit_xlsx(
        entries[:EXPORT_CAP], request.user, title=f"全程纪实 {now:%Y-%m-%d %H:%M} 导出", note=note
    )
    return FileResponse(
        out, as_attachment=True, filename=f"全程纪实-{now:%Y%m%d%H%M}.xlsx", content_type=XLSX_CONTENT_TYPE
    )
