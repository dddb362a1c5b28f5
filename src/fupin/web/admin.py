"""Back-office views of the site's tables: user profiles and the audit log (read-only)."""

from django.contrib import admin

from fupin.web import models


@admin.register(models.UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "unit", "roles"]
    search_fields = ["user__username", "region__code", "unit"]
    raw_id_fields = ["user", "region"]


@admin.register(models.AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "target", "ip"]
    list_filter = ["action"]
    search_fields = ["username", "target", "detail", "ip"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.AdjustmentRequest)
class AdjustmentRequestAdmin(admin.ModelAdmin):
    list_display = ["household_id", "kind", "year", "state", "requested_by", "reviewed_by"]
    list_filter = ["kind", "state"]
    search_fields = ["household__household_id"]
    raw_id_fields = ["household"]
