from django.contrib import admin

from audit.models import AuditAction
from audit.services import audit_record, snapshot

from .models import ConclusionCode


@admin.register(ConclusionCode)
class ConclusionCodeAdmin(admin.ModelAdmin):
    """The A1517 (ZB18) code table that grade-reports/?fields=a15 exports under. Changes are
    recorded in the audit trail; a code is deactivated rather than deleted."""

    list_display = ("code", "name", "grade", "order", "active")
    list_filter = ("active",)
    list_editable = ("order", "active")
    search_fields = ("code", "name")

    def save_model(self, request, obj, form, change):
        before = snapshot(ConclusionCode.objects.get(pk=obj.pk)) if change else None
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
