"""Read and check filled-in survey sheets (survey.csv of FORMAT.md, or the `survey` sheet of a
workbook such as a filled-in sampling plan), and attach a plan's design to them.

A survey with any problem is rejected whole: the caller gets every problem (file, row, column,
value, rule) and nothing is estimated from a half-read file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from fupin.engine import tables
from fupin.engine.standard_format import SURVEY
from fupin.engine.tables import DatasetError, Problem

COLUMNS = SURVEY.field_names


class SurveyError(ValueError):
    """The survey cannot be used; `problems` lists every rejected value."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        lines = [self.args[0]] + [str(p) for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"……共{len(self.problems)}处问题")
        return "\n".join(lines)


@dataclass
class Survey:
    rows: pl.DataFrame  # the SURVEY fields, typed, plus `row` (spreadsheet row number)
    source: str
    warnings: list[str] = field(default_factory=list)


def _open(path: Path) -> tables.TableReader:
    if path.is_file() and path.suffix.lower() == ".csv" and path.stem != SURVEY.name:
        # a survey file under another name: read it as survey.csv
        return tables._csv_reader(path, SURVEY, path.name)
    reader = tables.open_table(path, SURVEY)
    if reader is None:
        where = "文件夹中没有 survey.csv" if path.is_dir() else "工作簿中没有名为 survey 的工作表"
        raise SurveyError(f"{path.name}：{where}")
    return reader


def read_survey(path: str | Path) -> Survey:
    """The typed rows of a survey; raises SurveyError listing every problem."""
    path = Path(path)
    if not path.exists():
        raise SurveyError(f"调查结果文件不存在：{path}")
    try:
        reader = _open(path)
    except DatasetError as exc:
        raise SurveyError(str(exc)) from None
    return _read(reader)


def survey_from_rows(rows: Sequence[Mapping[str, object]], source: str = "网页录入") -> Survey:
    """The same checks for findings entered on a page: each row maps field names (or their
    Chinese labels) to the cell text. Row numbers in the problems count from 2, as in a sheet."""
    header: list[str] = []
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    cells = iter([[row.get(h, "") for h in header] for row in rows])
    try:
        reader = tables._reader(SURVEY, source, header, cells)
    except DatasetError as exc:
        raise SurveyError(str(exc)) from None
    return _read(reader)


def _read(reader: tables.TableReader) -> Survey:
    from fupin.engine.assessment.reports import EXTRA

    warnings: list[str] = []
    # the extra columns of a plan's survey sheet (probabilities, names) are expected there
    unknown = [c for c in reader.unknown_columns if c not in EXTRA.values()]
    if unknown:
        warnings.append(
            f"{reader.file_label}：以下列不属于调查结果格式，未使用：{'、'.join(unknown)}"
        )
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    try:
        for row_number, raw in reader:
            values, row_problems = tables.parse_row(reader, row_number, raw)
            problems.extend(row_problems)
            if not row_problems:
                problems.extend(_check_row(reader, row_number, values, raw))
            record: dict[str, Any] = {name: values.get(name) for name in COLUMNS}
            record["row"] = row_number
            records.append(record)
    except DatasetError as exc:
        raise SurveyError(str(exc)) from None
    if problems:
        raise SurveyError(f"{reader.file_label}：调查结果有{len(problems)}处问题，未导入", problems)
    if not records:
        raise SurveyError(f"{reader.file_label}：没有任何调查户")
    frame = pl.DataFrame(
        records,
        schema={
            "household_id": pl.Utf8,
            "region_code": pl.Utf8,
            "registered": pl.Boolean,
            "status_claimed": pl.Utf8,
            "people": pl.Int64,
            "meets_exit_standard": pl.Boolean,
            "should_be_registered": pl.Boolean,
            "missed_people": pl.Int64,
            "should_not_be_registered": pl.Boolean,
            "satisfied": pl.Boolean,
            "weight": pl.Float64,
            "stratum": pl.Utf8,
            "cluster": pl.Utf8,
            "row": pl.Int64,
        },
    )
    duplicated = (
        frame.filter(pl.col("household_id").is_not_null() & (pl.col("household_id") != ""))
        .group_by("household_id")
        .agg(pl.col("row"))
        .filter(pl.col("row").list.len() > 1)
    )
    if duplicated.height:
        dup = [
            Problem(
                reader.file_label,
                int(rows[1]),
                reader.label_of("household_id"),
                hid,
                f"户编号重复（第{rows[0]}行已有）",
            )
            for hid, rows in duplicated.iter_rows()
        ]
        raise SurveyError(f"{reader.file_label}：同一户出现多次，未导入", dup)
    return Survey(frame, reader.file_label, warnings)


def _check_row(
    reader: tables.TableReader, row: int, v: dict[str, Any], raw: dict[str, str]
) -> list[Problem]:
    """Rules across the fields of one household."""
    out: list[Problem] = []

    def bad(name: str, message: str) -> None:
        out.append(
            Problem(reader.file_label, row, reader.label_of(name), raw.get(name, ""), message)
        )

    code = v["region_code"]
    if code and code.endswith("000"):
        bad("region_code", "应填写村级（12位，末3位不为000）区划代码")
    people = v["people"]
    if people is not None and people < 1:
        bad("people", "家庭人口至少为1")
    registered = v["registered"]
    status = v["status_claimed"]
    if registered is True:
        if status == "非贫困户":
            bad("status_claimed", "建档立卡户的系统状态应为“未脱贫”或“已脱贫”")
        if v["should_be_registered"] is True:
            bad(
                "should_be_registered",
                "“应纳未纳”只适用于非建档立卡户；建档立卡户的漏登成员填在“漏评人口”",
            )
        if not v["household_id"]:
            bad("household_id", "建档立卡户必须填写户编号")
    if registered is False:
        if status in ("未脱贫", "已脱贫"):
            bad("status_claimed", "非建档立卡户的系统状态应为“非贫困户”或留空")
        if v["meets_exit_standard"] is not None:
            bad("meets_exit_standard", "“达到脱贫标准”只适用于建档立卡户")
        if v["should_not_be_registered"] is not None:
            bad("should_not_be_registered", "“不应纳入”只适用于建档立卡户")
        if v["should_be_registered"] is False and (v["missed_people"] or 0) > 0:
            bad("missed_people", "“应纳未纳”为“否”时漏评人口应为0")
    missed = v["missed_people"]
    if missed is not None and people is not None and missed > people:
        bad("missed_people", f"漏评人口（{missed}）不能多于家庭人口（{people}）")
    weight = v["weight"]
    if weight is not None and weight <= 0:
        bad("weight", "权重必须大于0")
    return out


# --- attaching a plan -------------------------------------------------------------------------


# The registered households of a plan's design, one row per sampled household.
PLAN_REGISTERED_SCHEMA = {
    "household_id": pl.Utf8,
    "region_code": pl.Utf8,
    "stratum": pl.Utf8,
    "cluster": pl.Utf8,
    "status_claimed": pl.Utf8,
    "prob": pl.Float64,
}


@dataclass
class PlanDesign:
    """What the estimation needs from a sampling plan."""

    registered: pl.DataFrame  # household_id, region_code, stratum, cluster, prob
    villages: pl.DataFrame  # code, stratum, village_prob, nonreg_households
    source: str


def merge_plans(plans: Sequence[PlanDesign]) -> PlanDesign:
    """Several counties' plans as one design (their strata and villages never overlap)."""
    if len(plans) == 1:
        return plans[0]
    return PlanDesign(
        pl.concat([p.registered for p in plans]),
        pl.concat([p.villages for p in plans]),
        "、".join(p.source for p in plans),
    )


def apply_plan(survey: Survey, plan: PlanDesign) -> pl.DataFrame:
    """The survey rows with weight, stratum and cluster from the plan.

    Registered households get 1/π of their plan row, scaled up for the planned households of
    the same village and status that were not surveyed. Non-registered households of a village
    share the village's non-registered total: weight = (1/π_village) × (estimated number of
    non-registered households in the village) ÷ (non-registered households surveyed there).
    A household or village not in the plan is an error.
    """
    rows = survey.rows
    problems: list[Problem] = []
    reg_plan = {r["household_id"]: r for r in plan.registered.iter_rows(named=True)}
    vil_plan = {r["code"]: r for r in plan.villages.iter_rows(named=True)}
    non_counts: dict[str, int] = {}
    for r in rows.iter_rows(named=True):
        if not r["registered"]:
            non_counts[r["region_code"]] = non_counts.get(r["region_code"], 0) + 1
    weights: list[float] = []
    strata: list[str] = []
    clusters: list[str] = []
    for r in rows.iter_rows(named=True):
        code = r["region_code"]
        if r["registered"]:
            p = reg_plan.get(r["household_id"])
            if p is None:
                problems.append(
                    Problem(
                        survey.source,
                        r["row"],
                        "户编号",
                        r["household_id"] or "",
                        f"该户不在抽样方案 {plan.source} 中",
                    )
                )
                weights.append(1.0)
                strata.append("")
                clusters.append("")
                continue
            if p["region_code"] != code:
                problems.append(
                    Problem(
                        survey.source,
                        r["row"],
                        "区划代码",
                        code,
                        f"抽样方案中该户属于 {p['region_code']}",
                    )
                )
            weights.append(1.0 / float(p["prob"]))
            strata.append(str(p["stratum"]))
            clusters.append(str(p["cluster"]))
        else:
            v = vil_plan.get(code)
            if v is None:
                problems.append(
                    Problem(
                        survey.source,
                        r["row"],
                        "区划代码",
                        code,
                        f"该村不在抽样方案 {plan.source} 中",
                    )
                )
                weights.append(1.0)
                strata.append("")
                clusters.append("")
                continue
            total = max(int(v["nonreg_households"] or 0), non_counts[code])
            weights.append(total / non_counts[code] / float(v["village_prob"]))
            strata.append(str(v["stratum"]))
            clusters.append(str(code))
    if problems:
        raise SurveyError("调查结果与抽样方案不一致，未计算", problems)
    # nonresponse: registered households of the plan that were not surveyed (rows deleted) are
    # made up by the surveyed ones of the same village and status, in proportion to weight
    planned: dict[tuple[str, str], float] = {}
    for p in plan.registered.iter_rows(named=True):
        key = (p["region_code"], p.get("status_claimed") or "")
        planned[key] = planned.get(key, 0.0) + 1.0 / float(p["prob"])
    surveyed: dict[tuple[str, str], float] = {}
    keys: list[tuple[str, str] | None] = []
    for r, w in zip(rows.iter_rows(named=True), weights, strict=True):
        group = (str(r["region_code"]), str(r["status_claimed"] or ""))
        if r["registered"] and group in planned:
            surveyed[group] = surveyed.get(group, 0.0) + w
            keys.append(group)
        else:
            keys.append(None)
    weights = [
        w * planned[k] / surveyed[k] if k is not None else w
        for w, k in zip(weights, keys, strict=True)
    ]
    return rows.with_columns(
        weight=pl.Series(weights, dtype=pl.Float64),
        stratum=pl.Series(strata, dtype=pl.Utf8),
        cluster=pl.Series(clusters, dtype=pl.Utf8),
    )
