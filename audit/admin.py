from django.contrib import admin

from .models import AuditEntry


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
