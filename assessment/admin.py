from django.contrib import admin

from audit.admin import AuditedCatalogueAdmin

from .models import ConclusionCode


@admin.register(ConclusionCode)
class ConclusionCodeAdmin(AuditedCatalogueAdmin):
    """The A1517 (ZB18) code table that grade-reports/?fields=a15 exports under. Changes are
    recorded in the audit trail; a code is deactivated rather than deleted."""

    list_display = ("code", "name", "grade", "order", "active")
    list_filter = ("active",)
    list_editable = ("order", "active")
    search_fields = ("code", "name")
