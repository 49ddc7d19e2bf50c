from django.contrib import admin

from audit.models import AuditAction
from audit.services import audit_record, snapshot

from .models import InterviewReason


@admin.register(InterviewReason)
class InterviewReasonAdmin(admin.ModelAdmin):
    """The editable catalogue of 约谈 situations. Changes are recorded in the audit trail; a
    reason in use is deactivated rather than deleted, so past records keep their wording."""

    list_display = ("text", "audience", "order", "active")
    list_filter = ("audience", "active")
    list_editable = ("order", "active")
    search_fields = ("text",)

    def save_model(self, request, obj, form, change):
        before = snapshot(InterviewReason.objects.get(pk=obj.pk)) if change else None
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
