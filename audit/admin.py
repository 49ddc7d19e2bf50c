from django.contrib import admin

from .models import AuditAction, AuditEntry
from .services import audit_record, snapshot


class AuditedCatalogueAdmin(admin.ModelAdmin):
    """An editable catalogue kept as data (约谈 reasons, the A1517 codes ...): every save from
    /admin/, the change form or the list's editable columns, is recorded in the audit trail; an
    entry is deactivated rather than deleted, so what refers to it keeps its wording."""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            instance=obj,
            before=before,
            after=snapshot(obj),
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail can be searched here but never changed."""

    list_display = ("at", "actor_label", "action", "model", "object_repr", "batch")
    list_filter = ("action", "model")
    search_fields = ("object_repr", "actor_label", "batch")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
