"""Benchmark: matching a 10,000,000-member registry to a 10,000,000-row medical roster.

The data are built directly with numpy and pyarrow (no CSV): valid resident IDs, Chinese names
from common surnames and given-name characters, birth dates, sexes and villages. The roster holds
every registry member except 0.5 % (the uninsured), 1 % of them with a corrupted ID (one digit
mistyped, two digits transposed or the ID missing; a tenth of those also with a homophone in the
name, a twentieth with month and day transposed), plus people who are not in the registry to
bring it to the same size. The truth of every roster row is known.

Printed: wall time and peak resident memory of the exact stage (ID join) and of the
probabilistic stage (Splink on DuckDB over the leftovers), match precision and recall against
the truth, beside a plain pandas merge on the ID (exact stage) and the `recordlinkage` package
(Fellegi–Sunter with EM, probabilistic stage, on a sample it can handle), with the ratios.

    .venv/bin/python bench/compare.py [--scale 1.0] [--sample 5000] [--seed 7]

`--scale 0.01` runs the same thing on 100,000 members. recordlinkage 0.16 declares pandas<3 but
runs on pandas 3; install it beside the project without its pins to get the baseline:
    .venv/bin/pip install --no-deps recordlinkage==0.16 jellyfish==1.3.0 scikit-learn==1.9.1 \
        joblib==1.6.0 threadpoolctl==3.8.0 cloudpickle==3.1.2 narwhals==2.29.0
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fupin.engine.comparison.matching import (  # noqa: E402
    MatchSettings,
    match_roster,
    prepare_registry,
)

FULL = 10_000_000
CORRUPT_SHARE = 0.01
MISSING_SHARE = 0.005
AS_OF = dt.date(2017, 12, 31)

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# surname weights: a few very common ones, a long tail
_SURNAME_P = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
SURNAME_P = _SURNAME_P / _SURNAME_P.sum()
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉林志成文德福海辉鹏飞斌宇浩凯健俊峰永春云燕萍琴慧巧美倩婷雪琳晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊勤珍贞莉兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷"
)
# homophones the corruption swaps in (same toneless pinyin)
HOMOPHONES = {
    "丽": "莉",
    "伟": "维",
    "明": "鸣",
    "华": "化",
    "军": "君",
    "强": "墙",
    "静": "靖",
    "芳": "方",
    "玲": "琳",
    "杰": "洁",
    "红": "宏",
    "平": "萍",
    "英": "鹰",
    "建": "健",
    "国": "果",
    "梅": "眉",
}
WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


# --- measuring ------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def measure(results: dict[str, Any], key: str) -> Iterator[None]:
    """Wall time and peak resident memory (sampled every 20 ms) of the block."""
    gc.collect()
    peak = [rss_mb()]
    base = peak[0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], rss_mb())
        results[key] = {"seconds": seconds, "peak_mb": peak[0], "added_mb": peak[0] - base}


# --- data -----------------------------------------------------------------------------------


def id_strings(prefix: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """Valid 18-character IDs as an (n, 18) uint8 array of ASCII codes."""
    n = len(prefix)
    digits = np.empty((n, 17), dtype=np.int64)
    for k in range(6):
        digits[:, k] = prefix // 10 ** (5 - k) % 10
    ymd = birth.astype("datetime64[D]").astype(object)  # small cost next to the rest
    years = np.fromiter((d.year for d in ymd), dtype=np.int64, count=n)
    months = np.fromiter((d.month for d in ymd), dtype=np.int64, count=n)
    days = np.fromiter((d.day for d in ymd), dtype=np.int64, count=n)
    date_number = years * 10000 + months * 100 + days
    for k in range(8):
        digits[:, 6 + k] = date_number // 10 ** (7 - k) % 10
    for k in range(3):
        digits[:, 14 + k] = sequence // 10 ** (2 - k) % 10
    check = CHECK[(digits * WEIGHTS).sum(axis=1) % 11]
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = digits + ord("0")
    out[:, 17] = check
    return out


def to_strings(chars: np.ndarray) -> pa.Array:
    width = chars.shape[1]
    return pa.array(np.ascontiguousarray(chars).view(f"S{width}").ravel()).cast(pa.string())


def names(rng: np.random.Generator, n: int) -> pa.Array:
    surname = pa.array(SURNAMES).take(pa.array(rng.choice(len(SURNAMES), n, p=SURNAME_P)))
    first = pa.array(GIVEN).take(pa.array(rng.integers(len(GIVEN), size=n)))
    second = pa.array(GIVEN + [""] * (len(GIVEN) // 3)).take(
        pa.array(rng.integers(len(GIVEN) + len(GIVEN) // 3, size=n))
    )
    return pc.binary_join_element_wise(surname, first, second, "")


def build(scale: float, seed: int) -> tuple[dict[str, pa.Table], pa.Table]:
    """The registry tables (members, households, regions) and the roster with its truth."""
    rng = np.random.default_rng(seed)
    n = int(FULL * scale)
    counties = max(1, n // 100_000)
    villages_per_county = 100
    county_codes = 530000 + 100 + np.arange(counties) % 9000
    village = rng.integers(counties * villages_per_county, size=n)
    county_of = village // villages_per_county
    prefix = county_codes[county_of]
    birth = np.datetime64("1935-01-01") + rng.integers(0, 80 * 365, size=n)
    sequence = rng.integers(1, 1000, size=n)
    chars = id_strings(prefix, birth, sequence)
    # drop the rare accidental duplicate IDs
    _, first = np.unique(chars.view("S18").ravel(), return_index=True)
    keep = np.sort(first)
    chars, birth, village, county_of = chars[keep], birth[keep], village[keep], county_of[keep]
    n = len(keep)
    sex = np.where((chars[:, 16] - ord("0")) % 2 == 1, "男", "女")
    region_code = np.char.add(
        np.char.mod("%06d", county_codes[county_of]),
        np.char.mod("%06d", 100000 + village % villages_per_county + 1),
    )
    ids = to_strings(chars)
    member_names = names(rng, n)
    household_id = pa.array(np.char.mod("H%d", np.arange(n)))
    members = pa.table(
        {
            "household_id": household_id,
            "id_number": ids,
            "name": member_names,
            "sex": pa.array(sex),
            "birth_date": pa.array(birth.astype("datetime64[D]")),
        }
    )
    households = pa.table({"household_id": household_id, "region_code": pa.array(region_code)})
    village_codes = np.unique(region_code)
    regions = pa.table(
        {
            "code": pa.array(village_codes),
            "name": pa.array(village_names(village_codes)),
        }
    )

    # the roster: everybody but the missing, some with corrupted IDs, plus outsiders
    order = rng.permutation(n)
    n_missing = int(n * MISSING_SHARE)
    n_corrupt = int(n * CORRUPT_SHARE)
    present = np.sort(order[n_missing:])
    corrupt = np.zeros(n, dtype=bool)
    corrupt[order[n_missing : n_missing + n_corrupt]] = True
    roster_chars = chars[present].copy()
    bad = np.flatnonzero(corrupt[present])
    kind = rng.random(len(bad))
    # one digit mistyped (any of the 17 digits: the check character catches it)
    typo = bad[kind < 0.7]
    pos = rng.integers(0, 17, size=len(typo))
    old = roster_chars[typo, pos] - ord("0")
    roster_chars[typo, pos] = (old + rng.integers(1, 10, size=len(typo))) % 10 + ord("0")
    # two neighbouring digits transposed (only where they differ)
    swap = bad[(kind >= 0.7) & (kind < 0.85)]
    pos = rng.integers(6, 16, size=len(swap))
    a, b = roster_chars[swap, pos].copy(), roster_chars[swap, pos + 1].copy()
    roster_chars[swap, pos], roster_chars[swap, pos + 1] = b, a
    roster_ids = to_strings(roster_chars)
    blank = bad[kind >= 0.85]
    mask = np.zeros(len(present), dtype=bool)
    mask[blank] = True
    roster_ids = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), roster_ids)
    roster_names = member_names.take(pa.array(present))
    # a tenth of the corrupted rows also carry a homophone in the name
    homophone = bad[rng.random(len(bad)) < 0.1]
    if len(homophone):
        changed = roster_names.take(pa.array(homophone)).to_pylist()
        for k, text in enumerate(changed):
            changed[k] = "".join(HOMOPHONES.get(ch, ch) for ch in text)
        name_list = roster_names.to_numpy(zero_copy_only=False)
        name_list[homophone] = changed
        roster_names = pa.array(name_list)
    roster_birth = birth[present].astype("datetime64[D]").copy()
    transposed = bad[rng.random(len(bad)) < 0.05]
    if len(transposed):
        days = roster_birth[transposed].astype(object)
        roster_birth[transposed] = np.array(
            [d.replace(month=d.day, day=d.month) if d.day <= 12 else d for d in days],
            dtype="datetime64[D]",
        )
    truth = np.arange(n)[present]  # member index of every roster row
    # outsiders: people not in the registry, to bring the roster to n rows
    extra = n - len(present)
    ox_birth = np.datetime64("1935-01-01") + rng.integers(0, 80 * 365, size=extra)
    ox_chars = id_strings(
        county_codes[rng.integers(counties, size=extra)],
        ox_birth,
        rng.integers(1, 1000, size=extra),
    )
    ox_ids = to_strings(ox_chars)
    in_registry = pc.is_in(ox_ids, value_set=ids).to_numpy(zero_copy_only=False)
    ox_keep = np.flatnonzero(~in_registry)
    roster = pa.table(
        {
            "row_number": pa.array(np.arange(len(present) + len(ox_keep)) + 2),
            "id_number": _cat([roster_ids, ox_ids.take(pa.array(ox_keep))]),
            "name": _cat([roster_names, names(rng, len(ox_keep))]),
            "sex": pa.array(
                np.concatenate(
                    [
                        sex[present],
                        np.where((ox_chars[ox_keep, 16] - ord("0")) % 2 == 1, "男", "女"),
                    ]
                )
            ),
            "birth_date": pa.array(
                np.concatenate([roster_birth, ox_birth[ox_keep].astype("datetime64[D]")])
            ),
            "address": _cat(
                [
                    pa.array(np.char.add("云南省某县", village_names(region_code[present]))),
                    pa.array(np.full(len(ox_keep), "云南省某县某村")),
                ]
            ),
            "year": pa.array(np.full(len(present) + len(ox_keep), 2017, dtype=np.int64)),
            "truth": pa.array(np.concatenate([truth, np.full(len(ox_keep), -1)]).astype(np.int64)),
        }
    )
    return {"members": members, "households": households, "regions": regions}, roster


def village_names(codes: np.ndarray) -> np.ndarray:
    """第NNN村, from the last three digits of the village code (as the regions table has it)."""
    return np.char.add(np.char.add("第", np.char.mod("%d", codes.astype(np.int64) % 1000)), "村")


def _cat(arrays: list[Any]) -> pa.Array:
    return pa.concat_arrays(
        [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    )


# --- stages ---------------------------------------------------------------------------------


def load(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], roster: pa.Table) -> None:
    for name, table in tables.items():
        con.register("_t", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _t")
        con.unregister("_t")
    con.register("_t", roster)
    con.execute(
        "CREATE OR REPLACE TABLE roster_medical AS SELECT row_number, id_number, name, sex, "
        "birth_date, address, year, TRUE AS basic, TRUE AS critical_illness, FALSE AS id_valid, "
        "NULL::VARCHAR AS id_problem FROM _t"
    )
    con.unregister("_t")
    # the roster import's ID check, as SQL, so the bench does not loop over 10M rows in Python
    from fupin.engine.comparison.matching import id_valid_sql

    con.execute(f"UPDATE roster_medical SET id_valid = {id_valid_sql('id_number')}")
    con.execute("CREATE OR REPLACE TABLE bench_truth AS SELECT row_number, truth FROM _truth")


def evaluate(con: duckdb.DuckDBPyConnection, method: str) -> dict[str, float]:
    """Precision and recall of the matches of one method against the truth. A roster row's true
    member is `truth` (a member index: member_key - 1 since members are keyed in order)."""
    row = con.execute(
        f"""
        WITH m AS (SELECT x.row_number, x.member_key FROM match_roster_medical x
                   WHERE x.method = '{method}'),
             t AS (SELECT b.row_number, k.member_key FROM bench_truth b
                   JOIN bench_keys k ON k.member_index = b.truth
                   {"JOIN roster_medical r USING (row_number) WHERE NOT r.id_valid" if method == "probabilistic" else "JOIN roster_medical r USING (row_number) WHERE r.id_valid"})
        SELECT (SELECT COUNT(*) FROM m),
               (SELECT COUNT(*) FROM m JOIN t USING (row_number) WHERE m.member_key = t.member_key),
               (SELECT COUNT(*) FROM t)
        """
    ).fetchall()[0]
    predicted, correct, truth = (int(v) for v in row)
    return {
        "predicted": predicted,
        "correct": correct,
        "truth": truth,
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / truth if truth else 1.0,
    }


def pandas_merge(registry: pa.Table, roster: pa.Table) -> int:
    left = roster.select(["row_number", "id_number"]).to_pandas()
    right = registry.select(["id_number"]).to_pandas()
    right["member"] = np.arange(len(right))
    merged = left.merge(right, on="id_number", how="inner")
    return len(merged)


def recordlinkage_baseline(
    con: duckdb.DuckDBPyConnection, sample: int, seed: int
) -> dict[str, Any] | None:
    try:
        import recordlinkage
    except ImportError as exc:
        print(f"recordlinkage 不可用（{exc}），跳过其基线；安装方法见本文件开头。")
        return None
    import pandas as pd

    left = con.sql("SELECT * FROM _cmp_left").to_df()
    right = con.sql(
        f"SELECT * FROM _cmp_right USING SAMPLE {sample} ROWS (reservoir, {seed})"
    ).to_df()
    started = time.perf_counter()
    indexer = recordlinkage.Index()
    indexer.block(left_on=["birth", "surname"], right_on=["birth", "surname"])
    indexer.block(left_on=["birth_swapped", "surname"], right_on=["birth", "surname"])
    indexer.block(left_on="name_pinyin", right_on="name_pinyin")
    pairs = indexer.index(left.set_index("unique_id"), right.set_index("unique_id"))
    compare = recordlinkage.Compare()
    compare.exact("name", "name", label="name")
    compare.string(
        "name_pinyin", "name_pinyin", method="levenshtein", threshold=0.99, label="pinyin"
    )
    compare.exact("birth", "birth", label="birth")
    compare.exact("sex", "sex", label="sex")
    compare.string("id", "id", method="levenshtein", threshold=0.85, missing_value=0, label="id")
    features = compare.compute(pairs, left.set_index("unique_id"), right.set_index("unique_id"))
    classifier = recordlinkage.ECMClassifier(binarize=0.5)
    links = classifier.fit_predict(features)
    # keep each roster row's first link (ECM has no 1-1 constraint)
    found = pd.DataFrame(list(links), columns=["member_key", "row_number"]).drop_duplicates(
        "row_number"
    )
    seconds = time.perf_counter() - started
    con.register("_rl", found)
    con.register("_rl_sample", right[["unique_id"]])
    row = con.execute(
        """
        WITH t AS (SELECT b.row_number, k.member_key FROM bench_truth b
                   JOIN bench_keys k ON k.member_index = b.truth)
        SELECT (SELECT COUNT(*) FROM _rl),
               (SELECT COUNT(*) FROM _rl JOIN t USING (row_number)
                WHERE _rl.member_key = t.member_key),
               (SELECT COUNT(*) FROM _rl_sample s JOIN t ON t.row_number = s.unique_id)
        """
    ).fetchall()[0]
    con.unregister("_rl")
    con.unregister("_rl_sample")
    in_truth = int(row[2])
    predicted, correct = int(row[0]), int(row[1])
    return {
        "sample": len(right),
        "pairs": len(pairs),
        "seconds": seconds,
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / in_truth if in_truth else 1.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000,000 members")
    parser.add_argument("--sample", type=int, default=5000, help="roster rows for recordlinkage")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    args = parser.parse_args(argv)
    print(
        f"机器：{platform.processor() or platform.machine()}，{os.cpu_count()} 核；Python {platform.python_version()}，DuckDB {duckdb.__version__}"
    )
    results: dict[str, Any] = {}
    with measure(results, "build"):
        tables, roster = build(args.scale, args.seed)
    n = tables["members"].num_rows
    print(
        f"数据：登记成员 {n:,} 人，医保名单 {roster.num_rows:,} 行（构造 {results['build']['seconds']:.1f} 秒）"
    )

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.register("_truth", roster.select(["row_number", "truth"]))
    load(con, tables, roster.drop_columns(["truth"]))
    con.unregister("_truth")
    registry_members = tables["members"]
    del tables
    gc.collect()

    with measure(results, "prepare"):
        prepare_registry(con, AS_OF)
    con.execute(
        "CREATE TABLE bench_keys AS SELECT member_key, "
        "CAST(SUBSTR(household_id, 2) AS BIGINT) AS member_index FROM cmp_members"
    )
    with measure(results, "exact"):
        stats = match_roster(con, "roster_medical", MatchSettings(probabilistic=False))
    exact_quality = evaluate(con, "exact")
    with measure(results, "probabilistic"):
        stats = match_roster(con, "roster_medical", MatchSettings())
    # the probabilistic stage alone: match_roster redid the exact join first
    results["probabilistic"]["seconds"] = stats.seconds_probabilistic
    fuzzy_quality = evaluate(con, "probabilistic")
    leftovers = con.execute("SELECT COUNT(*) FROM _cmp_right_src").fetchall()[0][0]
    registry_leftovers = con.execute("SELECT COUNT(*) FROM _cmp_left_src").fetchall()[0][0]

    with measure(results, "pandas"):
        merged = pandas_merge(registry_members, roster)
    baseline = recordlinkage_baseline(con, args.sample, args.seed)

    ex, pr, pd_ = results["exact"], results["probabilistic"], results["pandas"]
    print()
    print("阶段\t耗时（秒）\t峰值内存（MB）\t精确率\t召回率")
    print(
        f"准备登记数据\t{results['prepare']['seconds']:.1f}\t{results['prepare']['peak_mb']:.0f}\t\t"
    )
    print(
        f"精确匹配（DuckDB）\t{ex['seconds']:.1f}\t{ex['peak_mb']:.0f}\t"
        f"{exact_quality['precision']:.4%}\t{exact_quality['recall']:.4%}"
    )
    print(
        f"精确匹配基线（pandas merge）\t{pd_['seconds']:.1f}\t{pd_['peak_mb']:.0f}\t（{merged:,} 对）\t"
    )
    print(
        f"概率匹配（Splink/DuckDB，{leftovers:,} 行剩余 × {registry_leftovers:,} 名剩余成员）\t"
        f"{pr['seconds']:.1f}\t{pr['peak_mb']:.0f}\t"
        f"{fuzzy_quality['precision']:.4%}\t{fuzzy_quality['recall']:.4%}"
    )
    if baseline:
        per_row_rl = baseline["seconds"] / max(baseline["sample"], 1)
        per_row_us = pr["seconds"] / max(leftovers, 1)
        print(
            f"概率匹配基线（recordlinkage，抽样 {baseline['sample']:,} 行，{baseline['pairs']:,} 对）\t"
            f"{baseline['seconds']:.1f}\t\t{baseline['precision']:.4%}\t{baseline['recall']:.4%}"
        )
        print(
            f"每千行耗时：本系统 {per_row_us * 1000:.3f} 秒，recordlinkage {per_row_rl * 1000:.3f} 秒，"
            f"倍数 {per_row_rl / per_row_us:.1f}×"
        )
    print(
        f"精确阶段对 pandas merge 的倍数：{pd_['seconds'] / ex['seconds']:.1f}×（耗时），"
        f"{pd_['added_mb'] / max(ex['added_mb'], 1):.1f}×（新增内存）"
    )
    print(
        f"概率匹配：{fuzzy_quality['correct']:,}/{fuzzy_quality['truth']:,} 行身份证号有误的名单行找回，"
        f"{fuzzy_quality['predicted'] - fuzzy_quality['correct']:,} 个错配；待复核 {stats.review:,}"
    )


if __name__ == "__main__":
    main()
