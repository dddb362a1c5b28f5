"""One assessment from a read survey: the design, the registry counts, 三率一度 and the county
decisions. `fupin assess` and the assessors' pages both call `assess_survey`, so a figure on
the site is the figure of the command on the same survey."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from fupin.engine.assessment.decisions import AssessmentPolicy, Decision, decide
from fupin.engine.assessment.estimation import (
    Estimates,
    Population,
    estimate_rates,
    sampled_villages,
)
from fupin.engine.assessment.survey import PlanDesign, Survey, apply_plan


@dataclass
class Assessment:
    findings: pl.DataFrame  # the survey rows with the design's weight, stratum and cluster
    estimates: Estimates  # county, city and province
    village_estimates: Estimates  # each sampled village from its own households
    decisions: list[Decision]
    populations: dict[str, Population] | None
    village_populations: dict[str, Population] | None


def assess_survey(
    survey: Survey,
    policy: AssessmentPolicy,
    *,
    design: PlanDesign | None = None,
    con: Any = None,
    plan_label: str = "",
) -> Assessment:
    """Raises SurveyError (survey and plan disagree) or EstimationError (nothing to estimate).

    `con` is a DuckDB connection over a registry data set or snapshot (regions, households,
    members); without it the indicators that need population counts are left out, and the
    notes say why.
    """
    from fupin.engine.assessment.sampling import county_populations, village_populations

    findings = apply_plan(survey, design) if design is not None else survey.rows
    populations = county_populations(con) if con is not None else None
    per_village = village_populations(con) if con is not None else None
    villages: pl.DataFrame | None = None
    village_notes: list[str] = []
    if policy.rates.missed_rate_denominator == "village_population" and per_village is not None:
        villages, village_notes = sampled_villages(
            findings, per_village, design.villages if design is not None else None
        )
    estimates = estimate_rates(findings, policy.rates, populations=populations, villages=villages)
    estimates.notes.extend(village_notes)
    # village exit (seed 000 item 7(2)): each village's own households
    village_estimates = estimate_rates(
        findings.with_columns(stratum=pl.lit(None, pl.Utf8), cluster=pl.lit(None, pl.Utf8)),
        policy.rates,
        populations=per_village,
        levels=("village",),
        villages=villages,
    )
    if design is None:
        estimates.notes.insert(
            0,
            "未提供抽样方案：抽样设计取自调查结果的权重、层、群列（权重为空按1计，层为空按县，群为空则每户为一群）",
        )
    else:
        estimates.notes.insert(0, f"抽样设计取自抽样方案 {plan_label or design.source}")
    decisions = decide(policy, estimates, populations)
    return Assessment(findings, estimates, village_estimates, decisions, populations, per_village)
