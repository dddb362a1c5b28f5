from django.contrib import admin

from fupin.assessment.models import Plan, Visit


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "county_code", "policy", "uploaded_at", "uploaded_by")
    search_fields = ("name", "county_code")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("unit_id", "region_code", "household_id", "registered", "visited_at")
    list_filter = ("registered",)
    search_fields = ("unit_id", "household_id", "region_code")
