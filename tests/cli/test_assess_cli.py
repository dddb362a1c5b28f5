"""`fupin sample` and `fupin assess` as a user runs them (issue 5, items 1 and 6)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fupin.engine.assessment.simulation import fill_plan_workbook, synthetic_county
from tests.pdfs import assert_fonts_embedded, needs_poppler, pdf_text

RATES_COLUMNS = [
    "region_code",
    "indicator",
    "estimate",
    "ci_low",
    "ci_high",
    "n_households",
    "design_effect",
    "definition",
]
INDICATORS = {
    "wrong_exit_rate",
    "missed_rate",
    "wrong_identification_rate",
    "comprehensive_incidence",
    "recognition",
}


def fupin(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUPIN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "fupin", *args], capture_output=True, text=True, env=env, timeout=300
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A county data set, a plan drawn from it, the plan filled in from the truth, assessed."""
    root = tmp_path_factory.mktemp("assess")
    county = synthetic_county(3, villages=60)
    data = county.write_dataset(root / "data")
    plan = root / "plan.xlsx"
    sampled = fupin(
        root, "sample", "--data", str(data), "--county", "530102", "--seed", "5", "--out", str(plan)
    )
    again = fupin(
        root,
        "sample",
        "--data",
        str(data),
        "--county",
        "530102",
        "--seed",
        "5",
        "--out",
        str(root / "again.xlsx"),
    )
    filled = root / "filled.xlsx"
    filled.write_bytes(plan.read_bytes())
    fill_plan_workbook(filled, county, seed=1)
    out = root / "out"
    result = fupin(
        root,
        "assess",
        "--survey",
        str(filled),
        "--plan",
        str(plan),
        "--data",
        str(data),
        "--policy",
        "assessment-yunnan-2017",
        "--out",
        str(out),
    )
    return {
        "root": root,
        "county": county,
        "plan": plan,
        "again": root / "again.xlsx",
        "sampled": sampled,
        "again_run": again,
        "result": result,
        "out": out,
        "filled": filled,
    }


class TestSample:
    def test_sample_writes_a_plan_of_at_least_1000_households(
        self, assessed: dict[str, object]
    ) -> None:
        sampled = assessed["sampled"]
        assert isinstance(sampled, subprocess.CompletedProcess)
        assert sampled.returncode == 0, sampled.stderr
        assert "已生成抽样方案" in sampled.stdout
        book = load_workbook(assessed["plan"], read_only=True)  # type: ignore[arg-type]
        rows = list(book["survey"].iter_rows(values_only=True))
        assert len(rows) - 1 >= 1000

    def test_the_same_seed_gives_the_same_survey_sheet(self, assessed: dict[str, object]) -> None:
        def sheet(path: object) -> list[tuple[object, ...]]:
            return list(load_workbook(path, read_only=True)["survey"].iter_rows(values_only=True))  # type: ignore[arg-type]

        assert sheet(assessed["plan"]) == sheet(assessed["again"])

    def test_sample_refuses_a_bad_county_code_in_chinese(self, tmp_path: Path) -> None:
        result = fupin(
            tmp_path,
            "sample",
            "--data",
            str(tmp_path),
            "--county",
            "53X",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "p.xlsx"),
        )
        assert result.returncode != 0
        assert "县区划代码" in result.stderr


class TestAssess:
    def test_assess_writes_rates_decisions_and_the_county_report(
        self, assessed: dict[str, object]
    ) -> None:
        result = assessed["result"]
        assert isinstance(result, subprocess.CompletedProcess)
        assert result.returncode == 0, result.stderr
        out = assessed["out"]
        assert isinstance(out, Path)
        for name in ("rates.csv", "decisions.csv", "villages.csv", "report.xlsx", "report.pdf"):
            assert (out / name).is_file(), name
        assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
        assert "530102000000：" in result.stdout

    @needs_poppler
    def test_the_report_pdf_embeds_its_chinese_font_and_reads_back(
        self, assessed: dict[str, object]
    ) -> None:
        out = assessed["out"]
        assert isinstance(out, Path)
        assert_fonts_embedded(out / "report.pdf")
        text = "".join(pdf_text(out / "report.pdf").split())
        assert "贫困县退出考核评估报告" in text and "三率一度估计值" in text

    def test_rates_csv_has_the_columns_and_fractions_of_the_issue(
        self, assessed: dict[str, object]
    ) -> None:
        out = assessed["out"]
        assert isinstance(out, Path)
        with (out / "rates.csv").open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == RATES_COLUMNS
        rows = read_csv(out / "rates.csv")
        county = [r for r in rows if r["region_code"] == "530102000000"]
        assert {r["indicator"] for r in county} == INDICATORS
        for r in rows:
            low, est, high = float(r["ci_low"]), float(r["estimate"]), float(r["ci_high"])
            assert 0 <= low <= est <= high <= 1
        assert {r["region_code"] for r in rows} == {"530102000000", "530100000000", "530000000000"}

    def test_the_intervals_cover_the_true_rates_of_the_county(
        self, assessed: dict[str, object]
    ) -> None:
        county = assessed["county"]
        out = assessed["out"]
        assert isinstance(out, Path)
        rows = {
            r["indicator"]: r
            for r in read_csv(out / "rates.csv")
            if r["region_code"] == "530102000000"
        }
        truth = {
            "wrong_exit_rate": county.true_wrong_exit_rate,
            "missed_rate": county.true_missed_rate,
        }  # type: ignore[attr-defined]
        for indicator, value in truth.items():
            assert float(rows[indicator]["ci_low"]) <= value <= float(rows[indicator]["ci_high"]), (
                indicator
            )

    def test_decisions_csv_gives_the_verdict_and_each_rule_with_its_interval(
        self, assessed: dict[str, object]
    ) -> None:
        out = assessed["out"]
        assert isinstance(out, Path)
        rows = read_csv(out / "decisions.csv")
        rules = {r["rule_id"]: r for r in rows}
        assert set(rules) == {
            "verdict",
            "missed_rate",
            "wrong_exit_rate",
            "comprehensive_incidence",
            "recognition",
        }
        assert rules["verdict"]["verdict"] in (
            "不予退出",
            "符合退出条件",
            "符合退出条件（达标但存在风险）",
        )
        for rule_id in ("missed_rate", "wrong_exit_rate", "comprehensive_incidence", "recognition"):
            r = rules[rule_id]
            assert r["result"] in ("达标", "达标但存在风险", "不达标")
            assert r["estimate"] and r["ci_low"] and r["ci_high"]
            assert "000_7b83ec534104c8fb.txt" in r["source"]

    def test_villages_csv_decides_every_sampled_village_with_the_exit_standard(
        self, assessed: dict[str, object]
    ) -> None:
        out = assessed["out"]
        assert isinstance(out, Path)
        rows = read_csv(out / "villages.csv")
        plan = load_workbook(assessed["plan"], read_only=True)  # type: ignore[arg-type]
        sampled = {r[1] for r in list(plan["抽样村"].iter_rows(values_only=True))[1:]}
        assert {r["region_code"] for r in rows} == sampled
        for r in rows:
            assert r["standard_verdict"] in ("达标", "未达标", "数据不全")
            assert r["verdict"] in (
                "符合出列条件",
                "符合出列条件（达标但存在风险）",
                "不予出列",
                "无法判定",
                "非贫困村，不涉及出列",
            )
            if r["standard_verdict"] == "未达标" and r["poverty_flag"] != "非贫困村":
                assert r["verdict"] == "不予出列"

    def test_the_report_workbook_lists_the_wrong_exit_and_missed_households(
        self, assessed: dict[str, object]
    ) -> None:
        out = assessed["out"]
        assert isinstance(out, Path)
        book = load_workbook(out / "report.xlsx", read_only=True)
        for sheet in ("结论", "三率一度", "判定规则", "错退户", "漏评户", "抽查村出列", "口径说明"):
            assert sheet in book.sheetnames
        wrong = list(book["错退户"].iter_rows(values_only=True))
        assert wrong[0][1] == "户编号"
        assert len(wrong) > 1

    def test_without_plan_and_registry_the_incidence_is_left_out_and_the_output_says_why(
        self, assessed: dict[str, object]
    ) -> None:
        root = assessed["root"]
        assert isinstance(root, Path)
        out = root / "bare"
        result = fupin(
            root,
            "assess",
            "--survey",
            str(assessed["filled"]),
            "--policy",
            "yunnan-2017",
            "--out",
            str(out),
            "--no-pdf",
        )
        assert result.returncode == 0, result.stderr
        assert "综合贫困发生率" in result.stdout and "未计算" in result.stdout
        indicators = {r["indicator"] for r in read_csv(out / "rates.csv")}
        assert "comprehensive_incidence" not in indicators
        assert "wrong_exit_rate" in indicators
        assert "无法判定" in (out / "decisions.csv").read_text(encoding="utf-8")

    def test_the_missed_rate_over_the_sampled_villages_is_a_policy_reading(
        self, assessed: dict[str, object]
    ) -> None:
        """rates.missed_rate_denominator = village_population: Σ w_v·M_v ÷ Σ w_v·N_v over the
        plan's villages, computed here from the files themselves (plan villages sheet, survey
        sheet, regions.csv, households.csv and members.csv)."""
        from fupin.engine.assessment.decisions import policy_file

        root = assessed["root"]
        assert isinstance(root, Path)
        policy = root / "by-village.yaml"
        policy.write_text(
            policy_file("assessment-yunnan-2017")
            .read_text(encoding="utf-8")
            .replace("value: sampled_households", "value: village_population"),
            encoding="utf-8",
        )
        out = root / "by-village"
        result = fupin(
            root,
            "assess",
            "--survey",
            str(assessed["filled"]),
            "--plan",
            str(assessed["plan"]),
            "--data",
            str(root / "data"),
            "--policy",
            str(policy),
            "--out",
            str(out),
            "--no-pdf",
        )
        assert result.returncode == 0, result.stderr
        # the independent computation
        book = load_workbook(assessed["plan"], read_only=True)  # type: ignore[arg-type]
        vrows = list(book["抽样村"].iter_rows(values_only=True))
        vh = list(vrows[0])
        villages = {
            str(r[vh.index("区划代码")]): 1 / float(r[vh.index("村入样概率")]) for r in vrows[1:]
        }
        filled = load_workbook(assessed["filled"], read_only=True)  # type: ignore[arg-type]
        srows = list(filled["survey"].iter_rows(values_only=True))
        sh = list(srows[0])
        missed: dict[str, int] = {}
        for r in srows[1:]:
            code = str(r[sh.index("区划代码")])
            n = int(r[sh.index("漏评人口")] or 0)
            if r[sh.index("应纳未纳")] == "是" and n == 0:
                n = int(r[sh.index("家庭人口")])
            missed[code] = missed.get(code, 0) + n
        data = root / "data"
        population = {r["code"]: int(r["population"] or 0) for r in read_csv(data / "regions.csv")}
        village_of = {
            r["household_id"]: r["region_code"]
            for r in read_csv(data / "households.csv")
            if r["status"] in ("未脱贫", "返贫", "已脱贫")
        }
        registered: dict[str, int] = {}
        for m in read_csv(data / "members.csv"):
            code = village_of.get(m["household_id"])
            if code:
                registered[code] = registered.get(code, 0) + 1
        num = sum(w * missed.get(c, 0) for c, w in villages.items())
        den = sum(w * max(population[c] - registered.get(c, 0), 0) for c, w in villages.items())
        rows = {
            r["indicator"]: r
            for r in read_csv(out / "rates.csv")
            if r["region_code"] == "530102000000"
        }
        assert float(rows["missed_rate"]["estimate"]) == pytest.approx(num / den, abs=1e-6)
        assert "抽中村全部非建档立卡农村人口" in rows["missed_rate"]["definition"]
        assert "village_population" in (out / "notes.txt").read_text(encoding="utf-8")
        # without registry data the village reading cannot be computed, and the output says so
        bare = fupin(
            root,
            "assess",
            "--survey",
            str(assessed["filled"]),
            "--plan",
            str(assessed["plan"]),
            "--policy",
            str(policy),
            "--out",
            str(root / "by-village-bare"),
            "--no-pdf",
        )
        assert bare.returncode == 0, bare.stderr
        assert "漏评率" in bare.stdout and "未计算" in bare.stdout
        left = {r["indicator"] for r in read_csv(root / "by-village-bare" / "rates.csv")}
        assert "missed_rate" not in left and "wrong_exit_rate" in left
        report = load_workbook(out / "report.xlsx", read_only=True)
        explained = [str(r[0]) for r in report["口径说明"].iter_rows(values_only=True) if r[0]]
        assert any("village_population" in line for line in explained)
        assert "comprehensive_incidence" in rows
        # the household reading of the same survey is another number, and says so
        default = {
            r["indicator"]: r
            for r in read_csv(assessed["out"] / "rates.csv")  # type: ignore[operator]
            if r["region_code"] == "530102000000"
        }
        assert "受访非建档立卡户人口" in default["missed_rate"]["definition"]
        assert default["missed_rate"]["estimate"] != rows["missed_rate"]["estimate"]

    def test_a_survey_with_errors_is_refused_with_row_and_column_and_writes_nothing(
        self, tmp_path: Path
    ) -> None:
        survey = tmp_path / "survey.csv"
        survey.write_text("区划代码,建档立卡户,家庭人口\n530102001001,也许,3\n", encoding="utf-8")
        out = tmp_path / "out"
        result = fupin(tmp_path, "assess", "--survey", str(survey), "--out", str(out))
        assert result.returncode != 0
        assert "第2行 “建档立卡户”列" in result.stderr
        assert not out.exists()


class TestScore:
    def test_score_writes_a_score_sheet_per_city_and_the_problem_list(self, tmp_path: Path) -> None:
        data = tmp_path / "indicators.csv"
        data.write_text(
            "区划代码,指标,值,来源\n"
            "130700000000,routine_score,9,督查台账\n"
            "130700000000,fund_violations,1,审计报告\n"
            "130722000000,county_score,88,省级对县考核\n"
            "130722000000,poor_county,1,区划\n"
            "130200000000,routine_score,10,督查台账\n",
            encoding="utf-8",
        )
        out = tmp_path / "out"
        result = fupin(tmp_path, "score", "--indicators", str(data), "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert "130700000000：" in result.stdout and "违反扶贫资金管理使用规定" in result.stdout
        book = load_workbook(out / "scores.xlsx", read_only=True)
        assert {"汇总", "评分表1307", "评分表1302", "问题清单"} <= set(book.sheetnames)
        problems = list(book["问题清单"].iter_rows(values_only=True))
        assert any(
            row[1] == "违反扶贫资金管理使用规定" and "审计报告" in row[3] for row in problems[1:]
        )
        totals = [r for r in read_csv(out / "scores.csv") if r["component"] == "总分"]
        assert {r["region_code"] for r in totals} == {"130700000000", "130200000000"}


class TestSnapshot:
    def test_sample_reads_a_frozen_snapshot_by_its_id(self, tmp_path: Path) -> None:
        import json

        from fupin.engine.dataset import open_dataset

        county = synthetic_county(4, villages=50)
        data = county.write_dataset(tmp_path / "data")
        snapshot = tmp_path / "home" / "snapshots" / "snap-2017"
        snapshot.mkdir(parents=True)
        con = open_dataset(data)
        for table in ("regions", "households", "members", "villages"):
            con.execute(f"COPY {table} TO '{snapshot / (table + '.parquet')}' (FORMAT parquet)")
        (snapshot / "manifest.json").write_text(
            json.dumps({"as_of": "2017-12-31"}), encoding="utf-8"
        )
        plan = tmp_path / "plan.xlsx"
        result = fupin(
            tmp_path / "home",
            "sample",
            "--snapshot",
            "snap-2017",
            "--county",
            "530102000000",
            "--households",
            "600",
            "--seed",
            "9",
            "--out",
            str(plan),
        )
        assert result.returncode == 0, result.stderr
        about = {
            r[0]: r[1]
            for r in load_workbook(plan, read_only=True)["抽样说明"].iter_rows(values_only=True)
            if r and r[0]
        }
        assert about["数据快照"] == "snap-2017"
        assert about["随机种子"] == 9
        assert about["实际调查户数"] >= 600

    def test_an_unknown_snapshot_is_refused_in_chinese(self, tmp_path: Path) -> None:
        result = fupin(
            tmp_path,
            "sample",
            "--snapshot",
            "nope",
            "--county",
            "530102",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "p.xlsx"),
        )
        assert result.returncode != 0
        assert "找不到快照" in result.stderr
