"""The Django admin in Chinese over the governance ledgers (a back office)."""

from django.contrib import admin

from fupin.governance import models, procedure


class ContactInline(admin.TabularInline):
    model = models.Contact
    extra = 0


class MembershipInline(admin.TabularInline):
    model = models.GovernanceMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region_code", "region_name"]
    list_filter = ["kind", "region_name"]
    search_fields = ["name", "aliases", "region_code"]
    inlines = [ContactInline, MembershipInline]
    raw_id_fields = ["parent"]


class TaskUnitInline(admin.TabularInline):
    model = models.TaskUnit
    extra = 0
    raw_id_fields = ["organisation"]


@admin.register(models.TaskList)
class TaskListAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "year", "region_name", "report_kind"]


@admin.register(models.Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["number", "task_list", "kind", "short_text", "due", "long_term", "status"]
    list_filter = ["task_list", "kind", "status"]
    search_fields = ["number", "text"]
    raw_id_fields = ["parent"]
    inlines = [TaskUnitInline]

    @admin.display(description="任务内容")
    def short_text(self, obj: models.Task) -> str:
        return obj.text[:40]


class AttachmentInline(admin.TabularInline):
    model = models.ReportAttachment
    extra = 0


@admin.register(models.ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["task", "organisation", "period", "submitted_by", "submitted_at"]
    list_filter = ["period"]
    raw_id_fields = ["task", "organisation"]
    inlines = [AttachmentInline]


class MeasureUnitInline(admin.TabularInline):
    model = models.MeasureUnit
    extra = 0
    raw_id_fields = ["organisation"]


@admin.register(models.RectificationPlan)
class RectificationPlanAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "region_name", "source_kind", "year"]


@admin.register(models.RectificationMeasure)
class RectificationMeasureAdmin(admin.ModelAdmin):
    list_display = ["number", "plan", "due", "long_term"]
    inlines = [MeasureUnitInline]


class NoteInline(admin.TabularInline):
    model = models.ProblemNote
    extra = 0
    readonly_fields = ["kind", "author", "created_at"]


class EvidenceInline(admin.TabularInline):
    model = models.Evidence
    extra = 0


@admin.register(models.Problem)
class ProblemAdmin(admin.ModelAdmin):
    """Closing and reopening go through the ledger pages (actions), so status is read-only here."""

    list_display = ["number", "group_title", "source_kind", "lead_unit", "due", "status"]
    list_filter = ["status", "source_kind", "plan"]
    search_fields = ["text", "source_ref"]
    readonly_fields = ["status", "closed_at", "closed_by", "approved_by", "reopen_count"]
    raw_id_fields = ["lead_unit"]
    filter_horizontal = ["responsible_units", "measures"]
    inlines = [NoteInline, EvidenceInline]


class ExitStepInline(admin.TabularInline):
    model = models.ExitStep
    extra = 0
    readonly_fields = [
        "step",
        "step_name",
        "outcome",
        "decided_on",
        "decided_by",
        "rule",
        "message",
        "late",
    ]


@admin.register(models.CountyExit)
class CountyExitAdmin(admin.ModelAdmin):
    """Steps are recorded on the county exit page (the policy's rules decide them), not here."""

    list_display = ["county_name", "county_code", "year", "national", "state", "outcome"]
    readonly_fields = ["state", "outcome"]
    inlines = [ExitStepInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.policy = obj.policy or procedure.DEFAULT_POLICY
            obj.state = procedure.load(obj.policy).first.id
        super().save_model(request, obj, form, change)


@admin.register(models.HouseholdExit)
class HouseholdExitAdmin(admin.ModelAdmin):
    list_display = ["household", "year", "state", "outcome"]
    raw_id_fields = ["household"]


@admin.register(models.AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "acting_user", "action", "object_type", "object_id"]
    list_filter = ["action"]
    readonly_fields = ["at", "acting_user", "action", "object_type", "object_id", "details"]
