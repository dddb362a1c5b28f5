"""Benchmark: the yunnan-2017 household exit evaluation of 1,000,000 households on DuckDB,
against a straightforward vectorised pandas implementation of the same criteria, in one run.

    .venv/bin/python bench/evaluate.py [--households 1000000] [--keep DIR] [--runs 3]
                                       [--float-money]

The data set (about 3.5 members per household) is built in numpy/pyarrow in a child process
and written as a snapshot (typed Parquet files and a manifest), so this process starts clean:
its peak memory after the first DuckDB call is the memory the evaluation needed. Both phases
read the same Parquet files; their results are compared before the figures are printed.

Both phases do the same work, the work of `household_exit.csv`: read the columns the criteria
need, evaluate the 14 household criteria with unknowns (Kleene logic), and give per household
the columns of that file (region, status, per-capita income, passed), the verdict, the failed
and the unknown criterion ids (sorted, ';'-joined) and the gap sentences (缺什么补什么,
"人均纯收入2,950元，低于标准3,200元", for the failed criteria only, with the member counts the
sentences name). Every column of every household is compared. The pandas phase is what an
analyst would write: vectorised, grouped member flags (no per-row Python for the criteria),
string work only on the rows that need it; it reads Parquet with `pd.read_parquet` (money
columns, DECIMAL(18,2) in the snapshot, arrive as Python Decimal objects and are turned into
float64, as pandas does by default; `--float-money` reads them as float64 through pyarrow
instead). DuckDB runs through the public API `evaluate_households` (asked for those columns)
on the 2 threads of this machine; pandas computes on one (pyarrow reads the files on
several). The two take turns `--runs` times in this process and the medians are compared,
in wall and in CPU time.

Goal (issue 3): under 5 s, at least 10x pandas, under 4 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd  # imported when the pandas phase starts, after DuckDB's peak memory

AS_OF = dt.date(2017, 12, 31)
POLICY = "yunnan-2017"
# DuckDB reads a Parquet file in parallel by row group: ~100k rows per group lets both cores
# work (a single 1M-row group is read by one thread).
ROW_GROUP = 100_000


# --- the data set ---------------------------------------------------------------------------------


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(np.arange(n, dtype=np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def _choice(rng: np.random.Generator, values: list[str], p: list[float], n: int) -> pa.Array:
    idx = rng.choice(len(values), size=n, p=p).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values)).cast(pa.string())


def _bool(rng: np.random.Generator, p_true: float, n: int, p_null: float = 0.0) -> pa.Array:
    values = rng.random(n) < p_true
    mask = rng.random(n) < p_null if p_null else None
    return pa.array(values, mask=mask)


def _money(values: np.ndarray) -> pa.Array:
    return pa.array(np.maximum(values, 0).astype(np.int32)).cast(pa.decimal128(18, 2))


def build_snapshot(folder: Path, households: int, seed: int = 2017) -> dict[str, int]:
    from fupin.engine.dataset import arrow_schema
    from fupin.engine.standard_format import HOUSEHOLDS, MEASURES, MEMBERS, REGIONS, VILLAGES

    rng = np.random.default_rng(seed)
    n = households
    folder.mkdir(parents=True, exist_ok=True)
    villages = max(1, n // 200)
    village_of = rng.integers(0, villages, n)
    # 53 01 02 TTT VVV: ten townships' worth of villages per county, counties of 100 villages
    county = village_of // 100
    codes = (
        530100000000
        + (county % 99 + 1) * 1_000_000
        + (village_of % 100 // 10 + 1) * 1000
        + village_of % 10
        + 201
    )
    village_codes = pa.array(np.unique(codes)).cast(pa.string())

    def table(t, columns: dict[str, pa.Array], rows: int) -> pa.Table:
        schema = arrow_schema(t)
        arrays = [columns.get(f.name, pa.nulls(rows, f.type)).cast(f.type) for f in schema]
        return pa.Table.from_arrays(arrays, schema=schema)

    size = rng.choice([1, 2, 3, 4, 5, 6, 7], size=n, p=[0.12, 0.16, 0.2, 0.22, 0.16, 0.09, 0.05])
    hid = _ids("H", n, 7)
    relocated = rng.random(n) < 0.1
    hh = {
        "household_id": hid,
        "region_code": pa.array(codes).cast(pa.string()),
        "head_name": pa.array(np.full(n, "户主")),
        "head_id_number": _ids("ID", n, 16),
        "attribute": _choice(
            rng, ["一般贫困户", "低保贫困户", "特困供养贫困户"], [0.7, 0.25, 0.05], n
        ),
        "main_cause": _choice(rng, ["因病", "因学", "缺技术", "缺资金"], [0.4, 0.1, 0.25, 0.25], n),
        "other_causes": pa.array(np.where(rng.random(n) < 0.1, "因学", None)),
        "status": _choice(rng, ["未脱贫", "已脱贫", "返贫", "清退"], [0.3, 0.65, 0.02, 0.03], n),
        "wage_income": _money(rng.normal(2600, 1200, n) * size),
        "business_income": _money(rng.normal(1200, 600, n) * size),
        "business_expense": _money(rng.normal(300, 100, n) * size),
        "transfer_income": _money(rng.normal(400, 200, n) * size),
        "food_secure": _bool(rng, 0.98, n, 0.005),
        "clothing_secure": _bool(rng, 0.98, n, 0.005),
        "water_safe": _bool(rng, 0.97, n, 0.005),
        "housing_grade": _choice(rng, ["A", "B", "C", "D"], [0.4, 0.5, 0.07, 0.03], n),
        "housing_renovated": _bool(rng, 0.5, n),
        "relocated": pa.array(relocated),
        "relocation_moved_in": _bool(rng, 0.9, n),
        "relocation_self_funds": _money(np.where(relocated, rng.normal(7000, 3000, n), 0)),
        "housing_debt": _money(np.where(relocated & (rng.random(n) < 0.05), 5000, 0)),
        "education_burden": _money(rng.normal(500, 300, n)),
        "medical_out_of_pocket": _money(rng.exponential(2500, n)),
        "family_doctor": _bool(rng, 0.95, n, 0.005),
    }
    pq.write_table(
        table(HOUSEHOLDS, hh, n), folder / "households.parquet", row_group_size=ROW_GROUP
    )

    m = int(size.sum())
    owner = np.repeat(np.arange(n), size)
    first = np.r_[0, np.cumsum(size)[:-1]]
    is_head = np.zeros(m, dtype=bool)
    is_head[first] = True
    age = np.where(is_head, rng.integers(25, 80, m), rng.integers(0, 85, m))
    born = np.datetime64("2017-12-31") - (age * 365.25 + rng.integers(0, 365, m)).astype(
        "timedelta64[D]"
    )
    school = np.where(
        (age >= 6) & (age <= 15),
        np.where(rng.random(m) < 0.97, "小学", "非在校生"),
        np.where(
            age < 6, "学前教育", np.where((age <= 22) & (rng.random(m) < 0.4), "高中", "非在校生")
        ),
    )
    members = {
        "household_id": hid.take(pa.array(owner)),
        "id_number": _ids("P", m, 17),
        "name": pa.array(np.full(m, "成员")),
        "sex": _choice(rng, ["男", "女"], [0.5, 0.5], m),
        "birth_date": pa.array(born).cast(pa.date32()),
        "relation": pa.array(np.where(is_head, "户主", "之子")),
        "school_status": pa.array(school, mask=rng.random(m) < 0.002),
        "health": pa.array(np.where(rng.random(m) < 0.05, "残疾", "健康")),
        "medical_insured": _bool(rng, 0.995, m, 0.002),
        "critical_illness_insured": _bool(rng, 0.99, m, 0.002),
        "pension_insured": _bool(rng, 0.97, m, 0.002),
    }
    pq.write_table(table(MEMBERS, members, m), folder / "members.parquet", row_group_size=ROW_GROUP)

    k = int(n * 1.2)
    measures = {
        "household_id": hid.take(pa.array(rng.integers(0, n, k))),
        "year": pa.array(rng.integers(2015, 2018, k)),
        "kind": _choice(rng, ["产业扶持", "就业扶持", "教育资助"], [0.5, 0.3, 0.2], k),
    }
    pq.write_table(
        table(MEASURES, measures, k), folder / "measures.parquet", row_group_size=ROW_GROUP
    )

    v = len(village_codes)
    pq.write_table(
        table(
            VILLAGES,
            {
                "region_code": village_codes,
                "road_hardened": _bool(rng, 0.95, v),
                "tv_coverage": pa.array(rng.uniform(95, 100, v)),
            },
            v,
        ),
        folder / "villages.parquet",
    )
    regions = {
        "code": village_codes,
        "name": pa.array(np.full(v, "村")),
        "level": pa.array(np.full(v, "村")),
        "poverty_flag": _choice(rng, ["贫困村", "非贫困村"], [0.6, 0.4], v),
        "population": pa.array(rng.integers(1500, 3000, v)),
    }
    pq.write_table(table(REGIONS, regions, v), folder / "regions.parquet", row_group_size=ROW_GROUP)
    counts = {"households": n, "members": m, "measures": k, "villages": v}
    (folder / "manifest.json").write_text(json.dumps({"bench": True, "counts": counts}))
    return counts


# --- DuckDB ---------------------------------------------------------------------------------------


# the columns of household_exit.csv, and the verdict
COLUMNS = ["household_id", "region_code", "status", "per_capita_net_income", "passed", "verdict",
           "failed_criteria", "unknown_criteria", "gaps"]  # fmt: skip


def run_duckdb(folder: Path) -> tuple[float, float, pa.Table]:
    """The full yunnan-2017 household evaluation with gap sentences, through the public API:
    opening the snapshot, loading and compiling the policy, running, writing the sentences."""
    from fupin.engine.exit_evaluation import evaluate_households

    started, cpu = time.perf_counter(), time.process_time()
    households = evaluate_households(folder, POLICY, AS_OF, columns=COLUMNS)
    return time.perf_counter() - started, time.process_time() - cpu, households


# --- pandas ---------------------------------------------------------------------------------------

HOUSEHOLD_COLUMNS = [
    "household_id", "region_code", "status", "main_cause", "other_causes", "wage_income",
    "business_income", "business_expense", "property_income", "transfer_income", "food_secure",
    "clothing_secure", "water_safe", "housing_grade", "housing_renovated", "relocated",
    "relocation_moved_in", "relocation_self_funds", "housing_debt", "education_burden",
    "medical_out_of_pocket", "family_doctor",
]  # fmt: skip


def run_pandas(
    folder: Path, params: dict[str, float], float_money: bool = False
) -> tuple[float, object]:
    """The same criteria as a data analyst would write them in pandas (vectorised, no loops
    over rows), with the same unknown handling (nullable booleans, Kleene logic).

    `float_money`: read the DECIMAL money columns as float64 through pyarrow instead of
    pandas' default (Python Decimal objects, then float64): the faster read an analyst who
    knows the cost would write."""
    import pandas as pd

    started = time.perf_counter()
    if float_money:
        table = pq.read_table(folder / "households.parquet", columns=HOUSEHOLD_COLUMNS)
        as_float = [
            pa.field(f.name, pa.float64() if pa.types.is_decimal(f.type) else f.type)
            for f in table.schema
        ]
        hh = table.cast(pa.schema(as_float)).to_pandas()
        del table
    else:
        hh = pd.read_parquet(folder / "households.parquet", columns=HOUSEHOLD_COLUMNS)
    mm = pd.read_parquet(
        folder / "members.parquet",
        columns=["household_id", "birth_date", "school_status", "health", "medical_insured",
                 "critical_illness_insured", "pension_insured"],
    )  # fmt: skip
    ms = pd.read_parquet(folder / "measures.parquet", columns=["household_id", "year"])

    birth = pd.to_datetime(mm["birth_date"])
    age = (
        AS_OF.year
        - birth.dt.year
        - ((birth.dt.month * 100 + birth.dt.day) > AS_OF.month * 100 + AS_OF.day)
    )
    disabled = mm["health"].fillna("").str.contains("残疾")
    school = mm["school_status"]
    in_school = (school != "非在校生") & ~(
        (school == "学前教育") & (age > params["preschool_age_max"])
    )
    in_school = in_school.astype("boolean").mask(school.isna())
    of_age = age.between(params["compulsory_age_min"], params["compulsory_age_max"])
    education_ok = (~of_age.astype("boolean")) | disabled.astype("boolean") | in_school
    not_student = (school == "非在校生").astype("boolean").mask(school.isna())
    pension_ok = (
        (age < params["pension_age_min"]).astype("boolean")
        | ~not_student
        | mm["pension_insured"].astype("boolean")
    )
    per_member = pd.DataFrame(
        {
            "household_id": mm["household_id"],
            "compulsory_education": education_ok,
            "medical_insurance": mm["medical_insured"].astype("boolean"),
            "critical_illness_insurance": mm["critical_illness_insured"].astype("boolean"),
            "pension": pension_ok,
        }
    )
    # the members each gap sentence counts (有N名成员…): definitely missing, unknown not counted
    out_of_school = (school == "非在校生") | (
        (school == "学前教育") & (age > params["preschool_age_max"])
    )
    member_counts = (
        pd.DataFrame(
            {
                "n_compulsory_education": of_age & ~disabled & out_of_school,
                "n_medical_insurance": mm["medical_insured"].eq(False),
                "n_critical_illness_insurance": mm["critical_illness_insured"].eq(False),
                "n_pension": (age >= params["pension_age_min"])
                & (school == "非在校生")
                & mm["pension_insured"].eq(False),
            }
        )
        .astype("int32")
        .groupby(per_member["household_id"], sort=False)
        .sum()
    )
    flags = list(per_member.columns[1:])
    false_flags = pd.DataFrame(
        {f: per_member[f].eq(False).fillna(False).astype("int8") for f in flags}
    )
    unknown_flags = pd.DataFrame({f: per_member[f].isna().astype("int8") for f in flags})
    key = per_member["household_id"]
    any_false = false_flags.groupby(key, sort=False).max().astype(bool)
    any_unknown = unknown_flags.groupby(key, sort=False).max().astype(bool)
    member_count = key.value_counts().rename("member_count")
    all_members = pd.DataFrame(index=any_false.index)
    for f in flags:
        value = pd.Series(True, index=any_false.index, dtype="boolean")
        value = value.mask(any_unknown[f], pd.NA).mask(any_false[f], False)
        all_members[f] = value
    measures = ms[ms["year"] <= AS_OF.year].groupby("household_id").size().rename("measure_count")

    df = (
        hh.join(member_count, on="household_id")
        .join(all_members, on="household_id")
        .join(member_counts, on="household_id")
        .join(measures, on="household_id")
    )
    no_members = df["member_count"].isna()
    for f in flags:  # all_members over no members is true
        df[f] = df[f].astype("boolean").mask(no_members, True)
    df["member_count"] = df["member_count"].fillna(0)
    df["measure_count"] = df["measure_count"].fillna(0)
    money = ["wage_income", "business_income", "business_expense", "property_income", "transfer_income",
             "relocation_self_funds", "housing_debt", "education_burden", "medical_out_of_pocket"]  # fmt: skip
    for col in money:
        df[col] = df[col].astype("float64").fillna(0.0)
    net = (
        df["wage_income"]
        + df["business_income"]
        - df["business_expense"]
        + df["property_income"]
        + df["transfer_income"]
    )
    members = df["member_count"].replace(0, np.nan)
    b = {
        c: df[c].astype("boolean")
        for c in (
            "food_secure",
            "clothing_secure",
            "water_safe",
            "relocated",
            "relocation_moved_in",
            "housing_renovated",
            "family_doctor",
        )
    }
    grade = df["housing_grade"]
    grade_ab = grade.isin(["A", "B"]).astype("boolean").mask(grade.isna())
    grade_cd = grade.isin(["C", "D"]).astype("boolean").mask(grade.isna())
    schooling = (df["main_cause"] == "因学").astype("boolean").mask(df["main_cause"].isna()) | df[
        "other_causes"
    ].fillna("").str.contains("因学").astype("boolean")
    criteria = pd.DataFrame(
        {
            "income": (net / members >= params["poverty_line"])
            .astype("boolean")
            .mask(members.isna()),
            "food": b["food_secure"],
            "clothing": b["clothing_secure"],
            "water": b["water_safe"],
            "housing_safe": (b["relocated"] & b["relocation_moved_in"])
            | (~b["relocated"] & (grade_ab | (grade_cd & b["housing_renovated"]))),
            "relocation_funds": ~b["relocated"]
            | (
                (df["relocation_self_funds"] <= params["relocation_self_funds_max"])
                & (df["housing_debt"] <= params["housing_debt_max"])
            ).astype("boolean"),
            "compulsory_education": df["compulsory_education"].astype("boolean"),
            "income_after_schooling": ~schooling
            | ((net - df["education_burden"]) / members >= params["poverty_line"])
            .astype("boolean")
            .mask(members.isna()),
            "medical_insurance": df["medical_insurance"].astype("boolean"),
            "critical_illness_insurance": df["critical_illness_insurance"].astype("boolean"),
            "family_doctor": b["family_doctor"],
            "medical_burden": (
                df["medical_out_of_pocket"] <= params["rural_disposable_income"]
            ).astype("boolean"),
            "pension": df["pension"].astype("boolean"),
            "measures_recorded": (df["measure_count"] >= params["measures_min"]).astype("boolean"),
        }
    )
    failed = criteria.eq(False).fillna(False)
    unknown = criteria.isna()
    ordered = sorted(criteria.columns)

    def joined(flags: pd.DataFrame, text: dict[str, object], separator: str) -> pd.Series:
        """Per row, the texts of the flagged columns in id order, joined by `separator`;
        built on the flagged rows only (text[c]: a constant or a function of the rows)."""
        out = pd.Series("", index=df.index, dtype=object)
        for c in ordered:
            rows = df.index[flags[c].to_numpy()]
            if len(rows):
                item = text[c](rows) if callable(text[c]) else text[c]
                before = out[rows]
                out[rows] = np.where(before == "", item, before + separator + item)
        return out

    failed_ids = joined(failed, {c: c for c in ordered}, ";")
    unknown_ids = joined(unknown, {c: c for c in ordered}, ";")
    verdict = np.where(
        failed.any(axis=1), "未达标", np.where(unknown.any(axis=1), "数据不全", "达标")
    )
    # gap sentences (缺什么补什么), in the order of the ids, for the households that fail each
    # criterion only, as the policy's templates write them
    amounts = {c: df[c] for c in ("relocation_self_funds", "housing_debt", "education_burden",
                                  "medical_out_of_pocket")}  # fmt: skip
    per_capita = net / members
    after_schooling = (net - df["education_burden"]) / members
    line, rural, funds_max = _number(
        pd.Series([params[p] for p in ("poverty_line", "rural_disposable_income",
                                       "relocation_self_funds_max")])
    )  # fmt: skip
    sentences = {
        "clothing": lambda i: "不愁穿为“否”，应有四季衣服",
        "compulsory_education": lambda i: "有" + _number(df["n_compulsory_education"][i])
        + f"名{params['compulsory_age_min']:.0f}至{params['compulsory_age_max']:.0f}岁成员未接受义务教育（辍学）",
        "critical_illness_insurance": lambda i: "有" + _number(df["n_critical_illness_insurance"][i])
        + "名成员未参加大病保险",
        "family_doctor": lambda i: "未签约家庭医生",
        "food": lambda i: "不愁吃为“否”，应有必须的口粮",
        "housing_safe": lambda i: pd.Series(
            np.where(
                df["relocated"][i].fillna(False),
                "易地扶贫搬迁户尚未搬迁入住",
                "住房安全等级为" + df["housing_grade"][i].fillna("空") + "级危房，且未改造入住",
            ),
            index=i,
        ),
        "income": lambda i: "人均纯收入" + _number(per_capita[i]) + f"元，低于标准{line}元",
        "income_after_schooling": lambda i: "扣除就学负担" + _number(amounts["education_burden"][i])
        + "元后人均纯收入" + _number(after_schooling[i]) + f"元，低于标准{line}元",
        "measures_recorded": lambda i: "未录入帮扶措施",
        "medical_burden": lambda i: "个人年度自付医疗费用" + _number(amounts["medical_out_of_pocket"][i])
        + "元，超过当地农村居民人均可支配收入"
        + rural + "元",
        "medical_insurance": lambda i: "有" + _number(df["n_medical_insurance"][i])
        + "名成员未参加基本医疗保险",
        "pension": lambda i: "有" + _number(df["n_pension"][i])
        + f"名{params['pension_age_min']:.0f}岁以上非在校成员未参加养老保险",
        "relocation_funds": lambda i: "建房自筹资金" + _number(amounts["relocation_self_funds"][i])
        + "元（上限" + funds_max + "元），建房负债" + _number(amounts["housing_debt"][i]) + "元（应无负债）",
        "water": lambda i: "饮水安全为“否”，应有达标饮水",
    }  # fmt: skip
    gaps = joined(failed, sentences, "；")
    result = pd.DataFrame(
        {
            "household_id": df["household_id"],
            "region_code": df["region_code"],
            "status": df["status"],
            "per_capita_net_income": per_capita,
            "passed": verdict == "达标",
            "verdict": verdict,
            "failed_criteria": failed_ids,
            "unknown_criteria": unknown_ids,
            "gaps": gaps,
        }
    )
    return time.perf_counter() - started, result


def _number(values: pd.Series) -> pd.Series:
    """2950 -> '2,950', 2950.5 -> '2,950.50', missing -> '空': as the engine writes numbers,
    rounded half away from zero to cents."""
    import pandas as pd

    scaled = values.astype("float64") * 100
    whole = np.trunc(scaled)
    cents = (whole + np.where(np.abs(scaled - whole) >= 0.5, np.sign(scaled), 0)) / 100
    out = pd.Series("空", index=values.index, dtype=object)
    integral = cents == np.round(cents)
    out[integral] = cents[integral].astype("int64").map("{:,}".format)
    fraction = ~integral & cents.notna()
    out[fraction] = cents[fraction].map("{:,.2f}".format)
    return out


# --- main -----------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build the snapshot here (reused if present)")
    parser.add_argument("--runs", type=int, default=3, help="calls of each, taking turns")
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--float-money",
        action="store_true",
        help="pandas reads the money columns as float64 through pyarrow (not as Decimal objects)",
    )
    args = parser.parse_args()
    if args.build_only:
        counts = build_snapshot(args.build_only, args.households)
        print(json.dumps(counts))
        return

    tmp = None
    folder = args.keep
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="fupin-bench-")
        folder = Path(tmp.name) / "snapshot"
    if not (folder / "manifest.json").exists():
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--households",
                str(args.households),
                "--build-only",
                str(folder),
            ],
            check=True,
            env=dict(os.environ),
        )
        print(f"data set built in {time.perf_counter() - started:.1f} s (child process)")
    counts = json.loads((folder / "manifest.json").read_text())["counts"]
    print(
        f"households {counts['households']:,}  members {counts['members']:,}  measures {counts['measures']:,}"
    )

    from fupin.engine.policy import load_policy

    params = {
        k: float(v)
        for k, v in load_policy(POLICY).values().items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    # DuckDB and pandas take turns, so that both meet the same moments of a shared machine;
    # the figures are the medians. The first DuckDB call runs before pandas has allocated
    # anything: the peak memory after it is what the evaluation needed.
    baseline_mb = peak_rss_mb()
    duck_runs: list[tuple[float, float]] = []
    pandas_runs: list[tuple[float, float]] = []
    duck_peak_mb = 0.0
    for run in range(args.runs):
        seconds, cpu, duck = run_duckdb(folder)
        duck_runs.append((seconds, cpu))
        if run == 0:
            duck_peak_mb = peak_rss_mb()
        print(f"DuckDB  run {run + 1}  {seconds:6.2f} s   (CPU {cpu:.2f} s)", flush=True)
        cpu = time.process_time()
        seconds, frame = run_pandas(folder, params, args.float_money)
        pandas_runs.append((seconds, time.process_time() - cpu))
        print(
            f"pandas  run {run + 1}  {seconds:6.2f} s   (CPU {pandas_runs[-1][1]:.2f} s)",
            flush=True,
        )
    duck_seconds, duck_cpu = (statistics.median(r[i] for r in duck_runs) for i in (0, 1))
    pandas_seconds, pandas_cpu = (statistics.median(r[i] for r in pandas_runs) for i in (0, 1))
    print(
        f"DuckDB  {duck_seconds:7.2f} s   (CPU {duck_cpu:.2f} s)   median of {args.runs}"
        f"   peak memory {duck_peak_mb:,.0f} MB (whole process; {baseline_mb:,.0f} MB before)"
    )
    print(
        f"pandas  {pandas_seconds:7.2f} s   (CPU {pandas_cpu:.2f} s)   median of {args.runs}"
        f"   peak memory {peak_rss_mb():,.0f} MB (whole process, after both)"
        + ("   money read as float64" if args.float_money else "")
    )

    import pandas as pd

    ours = duck.to_pandas()
    merged = ours.merge(frame, on="household_id", suffixes=("_duckdb", "_pandas"))  # type: ignore[arg-type]
    differ = pd.Series(False, index=merged.index)
    for c in COLUMNS[1:]:
        a, b = merged[f"{c}_duckdb"], merged[f"{c}_pandas"]
        if c == "per_capita_net_income":  # both NaN (no members) agree; else to the cent
            differ |= ~((a.isna() & b.isna()) | ((a - b).abs() < 0.005))
        else:
            differ |= a != b
    agree = bool(len(merged) == len(ours) and not differ.any())
    verdicts = ours["verdict"].value_counts().to_dict()
    print(f"verdicts {verdicts}  DuckDB and pandas agree: {'yes' if agree else 'NO'}")
    print(
        f"ratio   pandas / DuckDB = {pandas_seconds / duck_seconds:.1f}x (wall time), "
        f"{pandas_cpu / duck_cpu:.1f}x (CPU time; DuckDB uses both cores, pandas one)"
    )
    print(f"load    {os.getloadavg()[0]:.1f} (1-minute load average; {os.cpu_count()} cores)")
    if not agree and os.environ.get("FUPIN_BENCH_DEBUG"):
        print(merged[differ].head(10).to_string())
    del pd
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
