"""Files the assessment writes: the sampling plan workbook (survey sheets), rates.csv,
decisions.csv and the county assessment report (XLSX and PDF, Chinese)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from fupin.engine.assessment.decisions import (
    AssessmentPolicy,
    Decision,
    VillageDecision,
)
from fupin.engine.assessment.estimation import (
    INDICATOR_NAMES,
    LEVEL_NAMES,
    Estimates,
    Population,
)
from fupin.engine.assessment.sampling import Plan
from fupin.engine.standard_format import SURVEY

# --- the plan workbook ------------------------------------------------------------------------

SURVEY_SHEET = SURVEY.name  # the sheet `fupin assess --survey` reads
VILLAGE_SHEET = "抽样村"
ABOUT_SHEET = "抽样说明"

EXTRA = {
    "unit_id": "抽样编号",
    "village_name": "村名",
    "head_name": "户主姓名",
    "weak": "重点群体",
    "village_prob": "村入样概率",
    "household_prob": "村内入样概率",
    "prob": "入样概率",
}
FINDINGS = (
    "meets_exit_standard",
    "should_be_registered",
    "missed_people",
    "should_not_be_registered",
    "satisfied",
)
PLAN_COLUMNS = (
    "unit_id",
    "region_code",
    "village_name",
    "household_id",
    "head_name",
    "registered",
    "status_claimed",
    "people",
    "weak",
    *FINDINGS,
    "weight",
    "stratum",
    "cluster",
    "village_prob",
    "household_prob",
    "prob",
)
VILLAGE_COLUMNS = {
    "stratum": "层",
    "code": "区划代码",
    "name": "村名",
    "poverty_flag": "贫困标识",
    "remote": "边远村",
    "population": "户籍人口",
    "size_measure": "规模度量",
    "village_prob": "村入样概率",
    "village_weight": "村权重",
    "registered_households": "建档立卡户数",
    "nonreg_households": "非建档立卡户数（估计）",
    "sampled_registered": "抽取建档立卡户",
    "sampled_nonreg": "抽取非建档立卡户",
}


def column_label(name: str) -> str:
    if name in EXTRA:
        return EXTRA[name]
    return SURVEY.field(name).label


def write_plan_xlsx(plan: Plan, path: str | Path) -> Path:
    """The plan as survey sheets: one row per household to visit with empty findings columns,
    the sampled villages and the parameters. The `survey` sheet, once filled in, is read by
    `fupin assess --survey` as it is."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SURVEY_SHEET
    sheet.append([column_label(c) for c in PLAN_COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True)
    for row in plan.units.iter_rows(named=True):
        values: list[Any] = []
        for c in PLAN_COLUMNS:
            v = row.get(c)
            if c == "registered":
                v = "是" if v else "否"
            values.append(v)
        sheet.append(values)
    finding_cols = [PLAN_COLUMNS.index(c) + 1 for c in FINDINGS]
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(yes_no)
    last = sheet.max_row
    for col in finding_cols:
        letter = sheet.cell(row=1, column=col).column_letter
        sheet.cell(row=1, column=col).fill = fill
        if PLAN_COLUMNS[col - 1] != "missed_people" and last > 1:
            yes_no.add(f"{letter}2:{letter}{last}")
    sheet.freeze_panes = "B2"
    for letter, width in zip("ABCDEFGHI", (18, 14, 10, 12, 10, 8, 9, 8, 16), strict=True):
        sheet.column_dimensions[letter].width = width

    villages = book.create_sheet(VILLAGE_SHEET)
    villages.append(list(VILLAGE_COLUMNS.values()))
    for cell in villages[1]:
        cell.font = bold
    for row in plan.villages.iter_rows(named=True):
        villages.append(
            [
                "是" if row[k] is True else "否" if row[k] is False else row[k]
                for k in VILLAGE_COLUMNS
            ]
        )

    about = book.create_sheet(ABOUT_SHEET)
    p = plan.params
    rows: list[tuple[str, Any]] = [
        ("县区划代码", plan.county_code),
        ("数据快照", plan.snapshot),
        ("随机种子", plan.seed),
        ("参考日期", plan.reference_date.isoformat() if plan.reference_date else ""),
        ("生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        ("抽样户数（目标）", p.households),
        ("实际调查户数", plan.units.height),
        ("抽中村数", plan.villages.height),
        ("每村调查户数", p.households_per_village),
        ("建档立卡户比例", p.registered_share),
        ("重点群体入样倍数", p.weak_group_factor),
        ("边远村入样倍数", p.remote_village_factor),
        ("平均户规模", p.average_household_size),
    ]
    for k, v in rows:
        about.append([k, v])
    about.append([])
    about.append(["说明"])
    for note in plan.notes:
        about.append([note])
    about.column_dimensions["A"].width = 22
    book.save(path)
    return path


def read_plan(path: str | Path) -> Any:
    """The design of a plan workbook written by write_plan_xlsx (see survey.PlanDesign)."""
    from python_calamine import CalamineWorkbook

    from fupin.engine.assessment.survey import PLAN_REGISTERED_SCHEMA, PlanDesign, SurveyError
    from fupin.engine.values import clean

    path = Path(path)
    if not path.is_file():
        raise SurveyError(f"抽样方案文件不存在：{path}")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise SurveyError(f"{path.name}：无法读取抽样方案（{exc}）") from None
    for needed in (SURVEY_SHEET, VILLAGE_SHEET):
        if needed not in book.sheet_names:
            raise SurveyError(f"{path.name}：不是抽样方案，缺少工作表“{needed}”")

    def table(sheet: str, wanted: Mapping[str, str]) -> list[dict[str, str]]:
        rows = book.get_sheet_by_name(sheet).to_python()
        if not rows:
            return []
        header = [clean(h) for h in rows[0]]
        index: dict[str, int] = {}
        for key, label in wanted.items():
            if label not in header:
                raise SurveyError(f"{path.name}[{sheet}] 第1行：缺少列“{label}”")
            index[key] = header.index(label)
        return [
            {k: clean(r[i]) if i < len(r) else "" for k, i in index.items()}
            for r in rows[1:]
            if any(clean(c) for c in r)
        ]

    units = table(
        SURVEY_SHEET,
        {
            "household_id": column_label("household_id"),
            "region_code": column_label("region_code"),
            "registered": column_label("registered"),
            "status_claimed": column_label("status_claimed"),
            "stratum": column_label("stratum"),
            "cluster": column_label("cluster"),
            "prob": column_label("prob"),
        },
    )
    villages = table(
        VILLAGE_SHEET,
        {
            "code": VILLAGE_COLUMNS["code"],
            "stratum": VILLAGE_COLUMNS["stratum"],
            "village_prob": VILLAGE_COLUMNS["village_prob"],
            "nonreg_households": VILLAGE_COLUMNS["nonreg_households"],
        },
    )
    registered = pl.DataFrame(
        [
            {
                "household_id": u["household_id"],
                "region_code": u["region_code"],
                "stratum": u["stratum"],
                "cluster": u["cluster"],
                "status_claimed": u["status_claimed"],
                "prob": float(u["prob"]),
            }
            for u in units
            if u["registered"] == "是" and u["household_id"]
        ],
        schema=PLAN_REGISTERED_SCHEMA,
    )
    village_frame = pl.DataFrame(
        [
            {
                "code": v["code"],
                "stratum": v["stratum"],
                "village_prob": float(v["village_prob"]),
                "nonreg_households": int(float(v["nonreg_households"] or 0)),
            }
            for v in villages
        ],
        schema={
            "code": pl.Utf8,
            "stratum": pl.Utf8,
            "village_prob": pl.Float64,
            "nonreg_households": pl.Int64,
        },
    )
    return PlanDesign(registered, village_frame, path.name)


# --- rates and decisions ----------------------------------------------------------------------

RATES_COLUMNS = (
    "region_code",
    "indicator",
    "estimate",
    "ci_low",
    "ci_high",
    "n_households",
    "design_effect",
    "definition",  # the reading of an open detail used (漏评率's denominator)
)
DECISION_COLUMNS = (
    "region_code",
    "policy",
    "verdict",
    "rule_id",
    "rule",
    "indicator",
    "operator",
    "threshold",
    "estimate",
    "ci_low",
    "ci_high",
    "result",
    "consequence",
    "explanation",
    "source",
)


def _num(value: float | None, digits: int = 6) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}"


def write_rates_csv(estimates: Estimates, path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RATES_COLUMNS)
        for r in estimates.rates:
            writer.writerow(
                [
                    r.region_code,
                    r.indicator,
                    _num(r.estimate),
                    _num(r.ci_low),
                    _num(r.ci_high),
                    r.n_households,
                    _num(r.design_effect, 4),
                    estimates.definitions.get(r.indicator, ""),
                ]
            )
    return path


def decision_rows(policy: AssessmentPolicy, decisions: Sequence[Decision]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for d in decisions:
        rows.append(
            {
                "region_code": d.region_code,
                "policy": policy.id,
                "verdict": d.verdict,
                "rule_id": "verdict",
                "rule": "县级退出结论",
                "explanation": "；".join(d.reasons),
            }
        )
        for r in d.rules:
            e = r.estimate
            rows.append(
                {
                    "region_code": d.region_code,
                    "policy": policy.id,
                    "verdict": d.verdict,
                    "rule_id": r.rule.id,
                    "rule": r.rule.name,
                    "indicator": r.rule.indicator,
                    "operator": r.rule.operator,
                    "threshold": _num(r.rule.threshold, 4),
                    "estimate": _num(e.estimate) if e else "",
                    "ci_low": _num(e.ci_low) if e else "",
                    "ci_high": _num(e.ci_high) if e else "",
                    "result": r.result,
                    "consequence": r.rule.consequence,
                    "explanation": r.explanation,
                    "source": r.rule.source,
                }
            )
    return rows


def write_decisions_csv(
    policy: AssessmentPolicy, decisions: Sequence[Decision], path: str | Path
) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=DECISION_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(decision_rows(policy, decisions))
    return path


# --- the county report ------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2%}"


def found_households(findings: pl.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Wrong-exit households and households with missed people, as the survey recorded them."""
    wrong = findings.filter(
        pl.col("registered").fill_null(False)
        & (pl.col("status_claimed") == "已脱贫")
        & (pl.col("meets_exit_standard") == False)  # noqa: E712
    )
    missed = findings.filter(
        (pl.col("missed_people").fill_null(0) > 0) | pl.col("should_be_registered").fill_null(False)
    )
    return list(wrong.iter_rows(named=True)), list(missed.iter_rows(named=True))


def _rate_rows(estimates: Estimates, code: str) -> list[list[Any]]:
    rows = []
    for indicator in INDICATOR_NAMES:
        r = estimates.get(code, indicator)
        if r is None:
            continue
        rows.append(
            [
                INDICATOR_NAMES[indicator],
                _pct(r.estimate),
                f"{_pct(r.ci_low)}–{_pct(r.ci_high)}",
                f"{r.se:.4f}",
                "" if r.design_effect is None else f"{r.design_effect:.2f}",
                r.n_households,
                r.ci_method,
            ]
        )
    return rows


RATE_HEADER = ["指标", "估计值", "95%置信区间", "标准误", "设计效应", "样本户数", "区间方法"]
RULE_HEADER = ["规则", "估计值", "95%置信区间", "阈值", "结果", "后果", "依据"]
HH_HEADER = ["区划代码", "户编号", "系统状态", "家庭人口", "漏评人口", "调查表行"]


def _rule_rows(d: Decision) -> list[list[Any]]:
    out = []
    for r in d.rules:
        e = r.estimate
        out.append(
            [
                r.rule.name,
                _pct(e.estimate) if e else "—",
                f"{_pct(e.ci_low)}–{_pct(e.ci_high)}" if e and e.ci_method != "系统数据" else "—",
                f"{OPERATOR_SIGN.get(r.rule.operator, r.rule.operator)}{r.rule.threshold:.0%}",
                r.result,
                r.rule.consequence,
                r.rule.source,
            ]
        )
    return out


OPERATOR_SIGN = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def _hh_rows(rows: list[dict[str, Any]], county: str) -> list[list[Any]]:
    return [
        [
            r["region_code"],
            r.get("household_id") or "（非建档立卡户）",
            r.get("status_claimed") or "",
            r.get("people"),
            r.get("missed_people") or "",
            r.get("row", ""),
        ]
        for r in rows
        if str(r["region_code"]).startswith(county[:6])
    ]


def write_report_xlsx(
    path: str | Path,
    policy: AssessmentPolicy,
    estimates: Estimates,
    decisions: Sequence[Decision],
    findings: pl.DataFrame,
    populations: Mapping[str, Population] | None,
    sources: Mapping[str, str],
    villages: Sequence[VillageDecision] = (),
    names: Mapping[str, str] | None = None,
) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    book = Workbook()
    bold = Font(bold=True)
    first = book.active
    assert first is not None
    first.title = "结论"
    first.append(["考核评估报告", policy.name])
    for k, v in sources.items():
        first.append([k, v])
    first.append([])
    first.append(["区划代码", "名称", "结论", "理由"])
    for d in decisions:
        first.append(
            [d.region_code, (names or {}).get(d.region_code, ""), d.verdict, "；".join(d.reasons)]
        )
    first.column_dimensions["A"].width = 16
    first.column_dimensions["B"].width = 16
    first.column_dimensions["C"].width = 26
    first.column_dimensions["D"].width = 100

    rates = book.create_sheet("三率一度")
    rates.append(["区划代码", "层级", *RATE_HEADER, "说明"])
    for r in estimates.rates:
        rates.append(
            [
                r.region_code,
                LEVEL_NAMES.get(r.level, r.level),
                INDICATOR_NAMES[r.indicator],
                r.estimate,
                f"{_pct(r.ci_low)}–{_pct(r.ci_high)}",
                r.se,
                r.design_effect,
                r.n_households,
                r.ci_method,
                r.note,
            ]
        )
    for row in rates.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = "0.00%"

    rules = book.create_sheet("判定规则")
    rules.append(["区划代码", *RULE_HEADER, "说明"])
    for d in decisions:
        for rr, row in zip(d.rules, _rule_rows(d), strict=True):
            rules.append([d.region_code, *row, rr.explanation])

    wrong, missed = found_households(findings)
    sheet = book.create_sheet("错退户")
    sheet.append(HH_HEADER)
    for row in _hh_rows(wrong, ""):
        sheet.append(row)
    sheet = book.create_sheet("漏评户")
    sheet.append(HH_HEADER)
    for row in _hh_rows(missed, ""):
        sheet.append(row)

    sheet = book.create_sheet("抽查村出列")
    sheet.append(VILLAGE_HEADER)
    for row in _village_rows(villages):
        sheet.append(row)

    notes = book.create_sheet("口径说明")
    for note in estimates.notes:
        notes.append([note])
    for note in policy.notes:
        notes.append([note])
    if populations:
        notes.append([])
        notes.append(["县区划代码", "农村人口", "未脱贫人口", "已脱贫人口", "非建档立卡人口"])
        for code, pop in sorted(populations.items()):
            notes.append(
                [
                    code,
                    pop.rural_population,
                    pop.registered_not_exited,
                    pop.exited,
                    pop.non_registered,
                ]
            )
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = bold
    book.save(path)
    return path


def write_report_pdf(
    path: str | Path,
    policy: AssessmentPolicy,
    estimates: Estimates,
    decisions: Sequence[Decision],
    findings: pl.DataFrame,
    sources: Mapping[str, str],
    villages: Sequence[VillageDecision] = (),
    names: Mapping[str, str] | None = None,
) -> Path:
    from fupin.reports.pdf import Heading, Paragraph, Table, write_pdf

    wrong, missed = found_households(findings)
    blocks: list[Any] = [Paragraph("；".join(f"{k}：{v}" for k, v in sources.items()))]
    for number, d in enumerate(decisions, start=1):
        name = (names or {}).get(d.region_code, "")
        where = f"{name}（{d.region_code}）" if name else d.region_code
        blocks.append(Heading(f"{_chinese_number(number)}、{where}评估结论：{d.verdict}"))
        for reason in d.reasons:
            blocks.append(Paragraph(reason))
        blocks.append(
            Table(RATE_HEADER, _rate_rows(estimates, d.region_code), caption="三率一度估计值")
        )
        blocks.append(
            Table(
                RULE_HEADER,
                _rule_rows(d),
                caption=f"判定规则（{policy.name}）",
                col_widths=[38, 18, 28, 14, 24, 16, 36],
            )
        )
        w = _hh_rows(wrong, d.region_code)
        blocks.append(Paragraph(f"抽查发现错退户{len(w)}户。"))
        if w:
            blocks.append(Table(HH_HEADER, w, caption="错退户名单"))
        m = _hh_rows(missed, d.region_code)
        blocks.append(Paragraph(f"抽查发现漏评户（含漏登成员的户）{len(m)}户。"))
        if m:
            blocks.append(Table(HH_HEADER, m, caption="漏评户名单"))
    if villages:
        blocks.append(Heading("抽查村出列情况"))
        blocks.append(
            Table(
                ["区划代码", "村名", "村级退出标准", "抽查漏评率", "抽查错评率", "结论"],
                [[r[0], r[1], r[3], r[5], r[6], r[8]] for r in _village_rows(villages)],
                col_widths=[30, 22, 22, 26, 26, 48],
            )
        )
    blocks.append(Heading("计算口径"))
    for note in [*estimates.notes, *policy.notes]:
        blocks.append(Paragraph(note))
    blocks.append(
        Paragraph(
            "置信区间为设计基础的区间：按层和群（村）以泰勒线性化估计比率估计量的方差，"
            "以Korn–Graubard法（按有效样本量的Clopper–Pearson区间）给出；"
            "点估计达标而区间跨越阈值的，标为“达标但存在风险”。"
        )
    )
    return write_pdf(path, f"贫困县退出考核评估报告（{policy.name}）", blocks)


VILLAGE_HEADER = [
    "区划代码",
    "村名",
    "贫困标识",
    "村级退出标准",
    "未达标项",
    "抽查漏评率",
    "抽查错评率",
    "抽查综合贫困发生率",
    "结论",
    "理由",
]


def _village_rows(villages: Sequence[VillageDecision]) -> list[list[Any]]:
    rows = []
    for v in villages:
        by_indicator = {r.rule.indicator: r for r in v.rules}

        def cell(indicator: str, by: Mapping[str, Any] = by_indicator) -> str:
            r = by.get(indicator)
            if r is None or r.estimate is None:
                return ""
            e = r.estimate
            return f"{_pct(e.estimate)}（{_pct(e.ci_low)}–{_pct(e.ci_high)}）{r.result}"

        rows.append(
            [
                v.region_code,
                v.name,
                v.poverty_flag,
                v.standard_verdict,
                v.standard_gaps,
                cell("missed_rate"),
                cell("wrong_identification_rate"),
                cell("comprehensive_incidence"),
                v.verdict,
                "；".join(v.reasons),
            ]
        )
    return rows


def write_villages_csv(villages: Sequence[VillageDecision], path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "region_code",
                "name",
                "poverty_flag",
                "standard_verdict",
                "standard_gaps",
                "missed_rate",
                "wrong_identification_rate",
                "comprehensive_incidence",
                "verdict",
                "reasons",
            ]
        )
        for row in _village_rows(villages):
            writer.writerow(row)
    return path


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九十"
    if n <= 10:
        return digits[n]
    if n < 20:
        return "十" + digits[n - 10]
    return str(n)
