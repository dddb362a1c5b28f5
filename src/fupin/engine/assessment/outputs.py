"""The files of one assessment (评估结果): what `fupin assess --out` writes and what the
assessors' pages offer for download — rates.csv, decisions.csv, villages.csv, the county report
(report.xlsx, report.pdf) and notes.txt. Both go through `county_report` and `write_output`, so
a downloaded file is the file of the command on the same survey."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fupin.engine.assessment.decisions import AssessmentPolicy, VillageDecision, decide_villages
from fupin.engine.assessment.run import Assessment

OUTPUT_NAMES = (
    "rates.csv",
    "decisions.csv",
    "villages.csv",
    "report.xlsx",
    "report.pdf",
    "notes.txt",
)


@dataclass
class CountyReport:
    policy: AssessmentPolicy
    assessment: Assessment
    villages: list[VillageDecision]
    sources: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)  # region code → name, from the registry


def village_standard(
    con: Any, policy: AssessmentPolicy
) -> tuple[dict[str, dict[str, Any]] | None, str]:
    """The exit-standard engine's village verdicts (村级退出标准) for the policy's exit
    standard, and a note saying how they were judged (or why not)."""
    if con is None:
        return None, "未提供建档立卡数据，村级退出标准（道路、饮水、集体经济等）未评估"
    if not policy.exit_standard:
        return None, "评估策略未指定退出标准文件，村级退出标准未评估"
    from fupin.engine.exit_evaluation import evaluate

    as_of = dt.date.fromisoformat(
        str(policy.sampling.get("reference_date") or f"{policy.year}-12-31")
    )
    try:
        results = evaluate(con, policy.exit_standard, as_of)
    except Exception as exc:  # the engine's own errors are many; say which and go on
        return None, f"村级退出标准（{policy.exit_standard}）未能评估：{exc}"
    rows = results.villages.to_pylist()
    return {
        str(r["region_code"]): r for r in rows
    }, f"村级退出标准按 {policy.exit_standard} 评估，截至 {as_of}"


def region_names(con: Any) -> dict[str, str]:
    if con is None:
        return {}
    return {str(c): str(n) for c, n in con.execute("SELECT code, name FROM regions").fetchall()}


def county_report(
    assessment: Assessment,
    policy: AssessmentPolicy,
    *,
    con: Any,
    survey_source: str,
    data_label: str,
    now: dt.datetime | None = None,
) -> CountyReport:
    """The village exits and the report's sources on top of `assess_survey`'s result. The note
    on the village exit standard is added to the assessment's notes (the report prints them)."""
    standard, standard_note = village_standard(con, policy)
    if standard_note:
        assessment.estimates.notes.append(standard_note)
    villages = decide_villages(policy, assessment.village_estimates, standard)
    sources = {
        "评估策略": f"{policy.name}（{policy.file.name}）",
        "调查结果": survey_source + f"，{assessment.findings.height}户",
        "建档立卡数据": data_label or "未提供",
        "生成时间": (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M"),
    }
    return CountyReport(policy, assessment, villages, sources, region_names(con))


def _write_notes(report: CountyReport, path: Path) -> Path:
    path.write_text("\n".join(report.assessment.estimates.notes) + "\n", encoding="utf-8")
    return path


def _writers() -> Mapping[str, Callable[[CountyReport, Path], Path]]:
    from fupin.engine.assessment import reports

    def xlsx(r: CountyReport, path: Path) -> Path:
        a = r.assessment
        return reports.write_report_xlsx(
            path,
            r.policy,
            a.estimates,
            a.decisions,
            a.findings,
            a.populations,
            r.sources,
            r.villages,
            r.names,
        )

    def pdf(r: CountyReport, path: Path) -> Path:
        a = r.assessment
        return reports.write_report_pdf(
            path, r.policy, a.estimates, a.decisions, a.findings, r.sources, r.villages, r.names
        )

    return {
        "rates.csv": lambda r, p: reports.write_rates_csv(r.assessment.estimates, p),
        "decisions.csv": lambda r, p: reports.write_decisions_csv(
            r.policy, r.assessment.decisions, p
        ),
        "villages.csv": lambda r, p: reports.write_villages_csv(r.villages, p),
        "report.xlsx": xlsx,
        "report.pdf": pdf,
        "notes.txt": _write_notes,
    }


def write_output(report: CountyReport, name: str, path: str | Path) -> Path:
    """One of OUTPUT_NAMES written to `path`."""
    writers = _writers()
    if name not in writers:
        raise ValueError(f"没有评估结果文件“{name}”（可选：{'、'.join(OUTPUT_NAMES)}）")
    return writers[name](report, Path(path))


def write_outputs(report: CountyReport, folder: str | Path, *, pdf: bool = True) -> list[Path]:
    """Every file of OUTPUT_NAMES (report.pdf only when `pdf`) into `folder`, under its name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_output(report, name, folder / name)
        for name in OUTPUT_NAMES
        if pdf or name != "report.pdf"
    ]
