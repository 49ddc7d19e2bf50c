from django.contrib import admin

from audit.admin import AuditedCatalogueAdmin

from .models import InterviewReason


@admin.register(InterviewReason)
class InterviewReasonAdmin(AuditedCatalogueAdmin):
    """The editable catalogue of 约谈 situations. Changes are recorded in the audit trail; a
    reason in use is deactivated rather than deleted, so past records keep their wording."""

    list_display = ("text", "audience", "order", "active")
    list_filter = ("audience", "active")
    list_editable = ("order", "active")
    search_fields = ("text",)
