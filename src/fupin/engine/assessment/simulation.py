"""A synthetic county with known true rates, to check a sampling design and its intervals.

`synthetic_county()` builds villages, registered households (with members) and the
non-registered households the registry does not hold, each with the truth an assessor would
find: wrong exits cluster by village and are more frequent in weak-group households; missed
households cluster by village. `fill_survey()` plays the assessors: it visits the households of
a plan (the non-registered slots by simple random sampling within the village, as the plan
instructs) and records the truth as survey findings. `write_dataset()` writes the registry part
in the standard format, so the CLI can be run on it.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl

from fupin.engine import idcard
from fupin.engine.assessment.sampling import Frame, Plan


@dataclass
class SyntheticCounty:
    county_code: str
    villages: pl.DataFrame  # code, name, poverty_flag, remote, population, registered_people, registered_households, nonreg_households
    households: (
        pl.DataFrame
    )  # household_id, region_code, head_name, status, people, weak, wrong_exit, satisfied
    nonregistered: pl.DataFrame  # region_code, people, missed_people, satisfied
    reference_date: dt.date = dt.date(2017, 12, 31)

    @property
    def true_wrong_exit_rate(self) -> float:
        ex = self.households.filter(pl.col("status") == "已脱贫")
        wrong = ex.filter(pl.col("wrong_exit"))["people"].sum()
        return int(wrong) / int(ex["people"].sum())

    @property
    def true_missed_rate(self) -> float:
        non = self.nonregistered
        return int(non["missed_people"].sum()) / int(non["people"].sum())

    @cached_property
    def nonregistered_ranges(self) -> dict[str, tuple[int, int]]:
        """village -> the rows of its non-registered households (stored village by village)."""
        out: dict[str, tuple[int, int]] = {}
        for i, code in enumerate(self.nonregistered["region_code"].to_list()):
            lo, _ = out.get(code, (i, i))
            out[code] = (lo, i + 1)
        return out

    def frame(self) -> Frame:
        return Frame(
            self.county_code,
            self.villages,
            self.households.select(
                "household_id", "region_code", "head_name", "status", "people", "weak"
            ),
            self.reference_date,
        )

    def write_dataset(self, folder: str | Path, *, name: str = "示范县") -> Path:
        """regions.csv, households.csv, members.csv and villages.csv of the registry part."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        county = self.county_code
        province, city = county[:2] + "0" * 10, county[:4] + "0" * 8
        township = county[:6] + "001000"

        def write(file: str, header: list[str], rows: list[list[object]]) -> None:
            with (folder / file).open("w", encoding="utf-8", newline="") as handle:
                w = csv.writer(handle)
                w.writerow(header)
                w.writerows(rows)

        regions: list[list[object]] = [
            [province, "示范省", "省", "", "", ""],
            [city, "示范市", "市", province, "", ""],
            [county, name, "县", city, "国定贫困县", ""],
            [township, "示范乡", "乡", county, "", ""],
        ]
        village_rows: list[list[object]] = []
        for v in self.villages.iter_rows(named=True):
            regions.append(
                [v["code"], v["name"], "村", township, v["poverty_flag"], v["population"]]
            )
            village_rows.append([v["code"], "否" if v["remote"] else "是"])
        write(
            "regions.csv",
            ["code", "name", "level", "parent_code", "poverty_flag", "population"],
            regions,
        )
        write("villages.csv", ["region_code", "road_hardened"], village_rows)
        households: list[list[object]] = []
        members: list[list[object]] = []
        seq = 0
        birth = dt.date(1970, 1, 1)
        for h in self.households.iter_rows(named=True):
            weak = h["weak"]
            attribute = "低保贫困户" if "低保" in weak else "一般贫困户"
            grade = "D" if "危房" in weak else "A"
            households.append(
                [
                    h["household_id"],
                    h["region_code"],
                    h["head_name"],
                    None,
                    attribute,
                    "因病",
                    h["status"],
                    grade,
                ]
            )
            for k in range(int(h["people"])):
                seq += 1
                number = idcard.make(
                    county[:6], birth + dt.timedelta(days=seq % 9000), seq % 999 + 1
                )
                health = (
                    "残疾"
                    if "残疾" in weak and k == 0
                    else "患有大病"
                    if "重病" in weak and k == 0
                    else "健康"
                )
                members.append(
                    [
                        h["household_id"],
                        number,
                        f"成员{seq}",
                        "男" if k % 2 == 0 else "女",
                        (birth + dt.timedelta(days=seq % 9000)).isoformat(),
                        "户主" if k == 0 else "之子",
                        health,
                    ]
                )
                if k == 0:
                    households[-1][3] = number
        write(
            "households.csv",
            [
                "household_id",
                "region_code",
                "head_name",
                "head_id_number",
                "attribute",
                "main_cause",
                "status",
                "housing_grade",
            ],
            households,
        )
        write(
            "members.csv",
            ["household_id", "id_number", "name", "sex", "birth_date", "relation", "health"],
            members,
        )
        return folder


def synthetic_county(
    seed: int = 7,
    *,
    county_code: str = "530102000000",
    villages: int = 120,
    exited_share: float = 0.85,
    wrong_exit_level: float = 0.03,
    missed_level: float = 0.02,
    recognition_level: float = 0.95,
) -> SyntheticCounty:
    """A county whose true rates come from village-level propensities (so findings cluster)."""
    rng = np.random.default_rng(seed)
    n = villages
    codes = np.array([f"{county_code[:6]}001{v:03d}" for v in range(1, n + 1)])
    flags = rng.choice(np.array(["贫困村", "深度贫困村", "非贫困村"]), n, p=[0.35, 0.1, 0.55])
    reg_hh = np.where(flags == "非贫困村", rng.integers(5, 30, n), rng.integers(30, 90, n))
    non_hh = rng.integers(80, 300, n)
    remote = (flags == "深度贫困村") | (rng.random(n) < 0.1)
    # village propensities: beta distributions with the requested means
    we_p = rng.beta(1.0, (1 - wrong_exit_level) / wrong_exit_level, n)
    mi_p = rng.beta(1.0, (1 - missed_level) / missed_level, n)

    v_of_h = np.repeat(np.arange(n), reg_hh)
    total = len(v_of_h)
    status = np.where(rng.random(total) < exited_share, "已脱贫", "未脱贫")
    people = rng.integers(1, 7, total)
    kinds = np.array(["低保", "危房", "重病", "残疾"])
    weak_mask = rng.random(total) < 0.3
    weak = np.where(weak_mask, kinds[rng.integers(0, 4, total)], "")
    wrong = (status == "已脱贫") & (
        rng.random(total) < np.minimum(we_p[v_of_h] * np.where(weak_mask, 1.6, 0.75), 1)
    )
    satisfied = rng.random(total) < recognition_level
    households = pl.DataFrame(
        {
            "household_id": [f"{county_code[:6]}H{i + 1:06d}" for i in range(total)],
            "region_code": codes[v_of_h],
            "head_name": [f"户主{i + 1}" for i in range(total)],
            "status": status,
            "people": people.astype(np.int64),
            "weak": weak,
            "wrong_exit": wrong,
            "satisfied": satisfied,
        }
    )
    v_of_n = np.repeat(np.arange(n), non_hh)
    n_people = rng.integers(1, 7, len(v_of_n))
    missed = np.where(rng.random(len(v_of_n)) < mi_p[v_of_n], n_people, 0)
    nonregistered = pl.DataFrame(
        {
            "region_code": codes[v_of_n],
            "people": n_people.astype(np.int64),
            "missed_people": missed.astype(np.int64),
            "satisfied": rng.random(len(v_of_n)) < recognition_level,
        }
    )
    reg_people = np.bincount(v_of_h, weights=people, minlength=n).astype(np.int64)
    non_people = np.bincount(v_of_n, weights=n_people, minlength=n).astype(np.int64)
    village_frame = pl.DataFrame(
        {
            "code": codes,
            "name": [f"第{v + 1}村" for v in range(n)],
            "poverty_flag": flags,
            "remote": remote,
            "population": reg_people + non_people,
            "registered_people": reg_people,
            "registered_households": reg_hh.astype(np.int64),
            "nonreg_households": non_hh.astype(np.int64),
        }
    )
    return SyntheticCounty(county_code, village_frame, households, nonregistered)


def fill_survey(plan: Plan, county: SyntheticCounty, seed: int) -> pl.DataFrame:
    """The findings of a plan from the truth, with the plan's weights, strata and clusters."""
    rng = np.random.default_rng(seed)
    units = plan.units
    truth = county.households.select("household_id", "wrong_exit", "satisfied", "people")
    reg = (
        units.filter(pl.col("registered"))
        .select("household_id", "region_code", "status_claimed", "weight", "stratum", "cluster")
        .join(truth, on="household_id", how="left")
        .select(
            "household_id",
            "region_code",
            pl.lit(True).alias("registered"),
            "status_claimed",
            "people",
            pl.when(pl.col("status_claimed") == "已脱贫")
            .then(~pl.col("wrong_exit"))
            .otherwise(None)
            .alias("meets_exit_standard"),
            pl.lit(None, pl.Boolean).alias("should_be_registered"),
            pl.lit(0, pl.Int64).alias("missed_people"),
            pl.lit(False).alias("should_not_be_registered"),
            "satisfied",
            "weight",
            "stratum",
            "cluster",
        )
    )
    slots = units.filter(~pl.col("registered"))
    non = county.nonregistered
    ranges = county.nonregistered_ranges
    picks: list[int] = []
    codes, counts = np.unique(slots["region_code"].to_numpy(), return_counts=True)
    for code, k in zip(codes, counts, strict=True):
        lo, hi = ranges[str(code)]
        picks.extend((lo + rng.choice(hi - lo, int(k), replace=False)).tolist())
    chosen = non[picks]
    slots = slots.sort("region_code", maintain_order=True)
    nonreg = pl.DataFrame(
        {
            "household_id": pl.Series([None] * len(picks), dtype=pl.Utf8),
            "region_code": chosen["region_code"],
            "registered": pl.Series([False] * len(picks)),
            "status_claimed": pl.Series(["非贫困户"] * len(picks)),
            "people": chosen["people"],
            "meets_exit_standard": pl.Series([None] * len(picks), dtype=pl.Boolean),
            "should_be_registered": chosen["missed_people"] > 0,
            "missed_people": chosen["missed_people"],
            "should_not_be_registered": pl.Series([None] * len(picks), dtype=pl.Boolean),
            "satisfied": chosen["satisfied"],
            "weight": slots["weight"],
            "stratum": slots["stratum"],
            "cluster": slots["cluster"],
        }
    )
    return pl.concat([reg, nonreg], how="vertical_relaxed")


def fill_plan_workbook(path: str | Path, county: SyntheticCounty, seed: int) -> Path:
    """Fill in the survey sheet of a plan workbook from the truth, as assessors would on site."""
    from openpyxl import load_workbook

    from fupin.engine.assessment.reports import SURVEY_SHEET, column_label

    path = Path(path)
    book = load_workbook(path)
    sheet = book[SURVEY_SHEET]
    header = [c.value for c in sheet[1]]

    def col(name: str) -> int:
        return header.index(column_label(name)) + 1

    truth = {r["household_id"]: r for r in county.households.iter_rows(named=True)}
    rng = np.random.default_rng(seed)
    non = county.nonregistered
    pools: dict[str, list[dict[str, object]]] = {}
    for r in non.iter_rows(named=True):
        pools.setdefault(str(r["region_code"]), []).append(r)
    for row in range(2, sheet.max_row + 1):
        registered = sheet.cell(row, col("registered")).value == "是"
        if registered:
            t = truth[str(sheet.cell(row, col("household_id")).value)]
            if t["status"] == "已脱贫":
                sheet.cell(row, col("meets_exit_standard")).value = (
                    "否" if t["wrong_exit"] else "是"
                )
            sheet.cell(row, col("should_not_be_registered")).value = "否"
            sheet.cell(row, col("missed_people")).value = 0
            sheet.cell(row, col("satisfied")).value = "是" if t["satisfied"] else "否"
        else:
            pool = pools[str(sheet.cell(row, col("region_code")).value)]
            t = pool.pop(int(rng.integers(len(pool))))
            sheet.cell(row, col("people")).value = t["people"]
            sheet.cell(row, col("should_be_registered")).value = (
                "是" if t["missed_people"] else "否"
            )
            sheet.cell(row, col("missed_people")).value = t["missed_people"]
            sheet.cell(row, col("satisfied")).value = "是" if t["satisfied"] else "否"
    book.save(path)
    return path
