from django.contrib import admin

from fupin.comparison.models import ComparisonRun, Finding


@admin.register(ComparisonRun)
class ComparisonRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "as_of", "rules", "data_source")


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("finding_name", "severity", "household_id", "name", "region_code", "roster")
    list_filter = ("finding_id", "severity", "kind")
