"""中文后台: the project library, money flow and notices."""

from __future__ import annotations

from django.contrib import admin

from fupin.funds.models import (
    Allocation,
    CarryOver,
    Disbursement,
    FundsLog,
    IntegrationPlan,
    Notice,
    Payment,
    Project,
)


@admin.action(description="导出所选项目（项目库 XLSX）")
def export_selected_projects(modeladmin, request, queryset):  # type: ignore[no-untyped-def]
    import tempfile
    from pathlib import Path

    from django.http import FileResponse

    from fupin.funds.projects_io import export_projects

    path = Path(tempfile.mkdtemp()) / "projects.xlsx"
    export_projects(path, projects=queryset)
    return FileResponse(path.open("rb"), as_attachment=True, filename="项目库.xlsx")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    actions = [export_selected_projects]
    list_display = (
        "code",
        "name",
        "kind",
        "county",
        "village",
        "plan_year",
        "budget",
        "status",
        "accepted_on",
    )
    list_filter = ("plan_year", "kind", "status", "procurement_method")
    search_fields = ("code", "name", "implementing_unit", "winning_bidder")
    filter_horizontal = ("beneficiary_villages",)
    raw_id_fields = ("county", "village", "beneficiary_households")


class DisbursementInline(admin.TabularInline):
    model = Disbursement
    extra = 0
    raw_id_fields = ("project", "township")


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = (
        "fund_year",
        "source",
        "county",
        "project",
        "document_number",
        "allocated_on",
        "amount",
    )
    list_filter = ("fund_year", "source")
    search_fields = ("document_number",)
    raw_id_fields = ("county", "project")
    inlines = [DisbursementInline]


@admin.register(Disbursement)
class DisbursementAdmin(admin.ModelAdmin):
    list_display = (
        "allocation",
        "project",
        "township",
        "payee",
        "disbursed_on",
        "township_paid_on",
        "amount",
    )
    list_filter = ("allocation__fund_year", "allocation__source")
    raw_id_fields = ("allocation", "project", "township")


@admin.register(CarryOver)
class CarryOverAdmin(admin.ModelAdmin):
    list_display = ("county", "fund_year", "source", "as_of", "amount")
    list_filter = ("fund_year", "source")
    raw_id_fields = ("county",)


@admin.register(IntegrationPlan)
class IntegrationPlanAdmin(admin.ModelAdmin):
    list_display = ("county", "year", "in_scope_amount", "planned_amount")
    raw_id_fields = ("county",)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("payee_name", "kind", "fund_year", "amount", "paid_on", "village", "household")
    list_filter = ("fund_year", "kind")
    search_fields = ("payee_name", "payee_id_number")
    raw_id_fields = ("county", "disbursement", "project", "member", "household", "village")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "level", "kind", "region", "fund_year", "published_on", "ends_on")
    list_filter = ("level", "kind", "fund_year")
    search_fields = ("title",)
    raw_id_fields = ("region", "projects")


@admin.register(FundsLog)
class FundsLogAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "subject")
    list_filter = ("action",)
    search_fields = ("subject",)
    readonly_fields = ("at", "user", "action", "subject", "details")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
