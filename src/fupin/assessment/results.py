"""三率一度 and the county decision of a plan's findings, computed by the engine's
`assess_survey` — the function `fupin assess` calls — on the plan's stored design and, when the
registry has been frozen, the latest snapshot's population counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fupin.assessment import plans
from fupin.assessment.models import Plan
from fupin.engine.assessment.decisions import AssessmentPolicy, load_assessment_policy
from fupin.engine.assessment.outputs import CountyReport, county_report
from fupin.engine.assessment.run import Assessment, assess_survey
from fupin.engine.assessment.survey import survey_from_rows


@dataclass
class PlanResults:
    policy: AssessmentPolicy
    assessment: Assessment | None
    error: str = ""
    problems: list[Any] = field(default_factory=list)
    data_label: str = ""
    con: Any = None  # the registry snapshot the figures were computed on (None without one)


def survey_rows(plan: Plan) -> list[dict[str, str]]:
    """The visited households of the plan as survey rows (Chinese labels as keys)."""
    return [plans.survey_row(v) for v in plan.visits.filter(visited_at__isnull=False)]


def source_label(plan: Plan) -> str:
    return f"{plan.name}（网页录入）"


def _registry() -> tuple[Any, str]:
    """A DuckDB connection over the latest snapshot, or None and why."""
    from fupin.web.verdicts import latest_snapshot

    snapshot = latest_snapshot()
    if snapshot is None:
        return None, "未冻结建档立卡数据快照"
    from fupin.engine.dataset import open_dataset, resolve_snapshot

    try:
        return open_dataset(resolve_snapshot(str(snapshot["id"]))), f"快照 {snapshot['id']}"
    except Exception as exc:  # a broken snapshot must not take the page down; say so
        return None, f"快照 {snapshot['id']} 无法读取（{exc}）"


def plan_results(plan: Plan, *, use_registry: bool = True) -> PlanResults:
    from fupin.engine.assessment.estimation import EstimationError
    from fupin.engine.assessment.survey import SurveyError

    policy = load_assessment_policy(plan.policy)
    rows = survey_rows(plan)
    if not rows:
        return PlanResults(policy, None, "还没有录入任何调查户")
    con, label = _registry() if use_registry else (None, "未使用")
    try:
        survey = survey_from_rows(rows, source=source_label(plan))
        result = assess_survey(
            survey,
            policy,
            design=plans.plan_design(plan.design, plan.name),
            con=con,
            plan_label=plan.name,
        )
    except SurveyError as exc:
        return PlanResults(policy, None, str(exc.args[0]), exc.problems, label)
    except EstimationError as exc:
        return PlanResults(policy, None, str(exc), [], label)
    return PlanResults(policy, result, "", [], label, con)


def plan_report(found: PlanResults, plan: Plan) -> CountyReport:
    """The county report of the plan's results, as `fupin assess` completes it: village exits
    against the exit standard on the same snapshot, the report's sources and region names."""
    assert found.assessment is not None
    return county_report(
        found.assessment,
        found.policy,
        con=found.con,
        survey_source=source_label(plan),
        data_label=found.data_label,
    )
