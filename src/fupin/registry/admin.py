"""The Django admin in Chinese over the registry: a back office, not the product site."""

from django.contrib import admin

from fupin.registry import models


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "poverty_flag", "population"]
    list_filter = ["level", "poverty_flag"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


class MemberInline(admin.TabularInline):
    model = models.Member
    extra = 0
    fields = ["name", "id_number", "sex", "birth_date", "relation", "school_status", "health"]
    show_change_link = True


class MeasureInline(admin.TabularInline):
    model = models.Measure
    extra = 0
    fields = ["year", "kind", "description", "amount"]


@admin.register(models.Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["household_id", "head_name", "region", "attribute", "main_cause", "status"]
    list_filter = ["status", "attribute", "main_cause", "housing_grade"]
    search_fields = ["household_id", "head_name", "head_id_number"]
    raw_id_fields = ["region", "helper"]
    inlines = [MemberInline, MeasureInline]
    list_select_related = ["region"]


@admin.register(models.Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "id_number", "sex", "birth_date", "relation", "household"]
    list_filter = ["sex", "relation", "school_status", "labor_ability"]
    search_fields = ["name", "id_number"]
    raw_id_fields = ["household"]


@admin.register(models.Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["household", "year", "kind", "description", "amount"]
    list_filter = ["year", "kind"]
    raw_id_fields = ["household"]


@admin.register(models.Helper)
class HelperAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "phone"]
    search_fields = ["name", "unit", "phone"]


@admin.register(models.VillageIndicator)
class VillageIndicatorAdmin(admin.ModelAdmin):
    list_display = ["region", "road_hardened", "power_10kv", "broadband", "collective_income"]
    raw_id_fields = ["region"]


@admin.register(models.WorkTeam)
class WorkTeamAdmin(admin.ModelAdmin):
    list_display = ["village", "dispatching_unit", "leader", "started", "ended"]
    raw_id_fields = ["village"]


@admin.register(models.FirstSecretary)
class FirstSecretaryAdmin(admin.ModelAdmin):
    list_display = ["village", "name", "unit", "started", "ended"]
    raw_id_fields = ["village"]


@admin.register(models.Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["household", "visitor", "visited_on", "findings"]
    raw_id_fields = ["household", "helper"]
    date_hierarchy = "visited_on"


@admin.register(models.RecordVersion)
class RecordVersionAdmin(admin.ModelAdmin):
    list_display = ["table", "key", "valid_from", "valid_to", "deleted", "changed_by", "source"]
    list_filter = ["table", "deleted"]
    search_fields = ["key"]

    def has_change_permission(self, request, obj=None):  # history is never edited
        return False


@admin.register(models.ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["source", "started_at", "finished_at", "problems", "committed"]
