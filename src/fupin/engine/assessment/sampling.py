"""Sampling plans drawn the way the exit assessments draw them.

Design (seed 000 item 17(1)(2), seed 001 三.(一), issue 5):

1. Villages of the county are split into two strata, poor villages (贫困村, 深度贫困村) and
   non-poor villages. The number of villages is households ÷ households-per-village; it is
   allocated to the strata in proportion to their population, with a minimum per stratum.
2. Within a stratum villages are drawn with probability proportional to size (population),
   without replacement, by systematic πPS sampling over a random order. Remote villages
   (边远偏僻、交通不便: 深度贫困村 and villages without a hardened road, a policy parameter)
   have their size multiplied by a factor, so they are over-represented; their weights are
   correspondingly smaller. Villages whose πPS probability would exceed 1 are taken with
   certainty.
3. In each sampled village about half the households are registered (建档立卡) households and
   half non-registered (a parameter). Registered households are drawn per status (未脱贫 /
   已脱贫, proportional allocation), again by systematic πPS, with households of the weak
   groups (低保/特困, 危房, 重病, 残疾, elderly living alone) given a larger size, so they are
   over-sampled.
4. Non-registered households are not in the registry. The plan lists them as slots: the
   assessors enumerate them on site from the village roster with a random start and a fixed
   interval. Their number in the village is estimated from the village population minus the
   registered people, divided by the average household size (a parameter); the slot's
   probability is slots ÷ that number. When the survey comes back, the weight of the
   non-registered households of a village uses the number actually surveyed.

Every selection probability (village, household within village, overall) is recorded, the
weight is its inverse, and the same seed gives the same plan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

POOR_FLAGS = ("贫困村", "深度贫困村")
STRATUM_POOR = "贫困村"
STRATUM_NONPOOR = "非贫困村"
WEAK_GROUPS = ("低保", "危房", "重病", "残疾", "独居老人")


class SamplingError(ValueError):
    """The frame cannot give a plan (no villages, no households)."""


@dataclass(frozen=True)
class SamplingParams:
    households: int = 1000  # seed 000 item 17(2): 每县抽查不低于1000户
    households_per_village: int = 25
    registered_share: float = 0.5  # about half and half, as the national checks did
    weak_group_factor: float = 2.0  # seed 001 三.(一): five groups as the focus
    remote_village_factor: float = 2.0  # seed 000 item 17(1): 边远偏僻、交通不便
    remote_flags: tuple[str, ...] = ("深度贫困村",)
    remote_if_no_hardened_road: bool = True
    min_villages_per_stratum: int = 2
    elderly_age: int = 60
    average_household_size: float = 3.5

    @classmethod
    def from_policy(cls, section: Mapping[str, Any] | None, **overrides: Any) -> SamplingParams:
        section = dict(section or {})
        known = {f for f in cls.__dataclass_fields__}
        values: dict[str, Any] = {}
        for key, value in section.items():
            if key in known:
                values[key] = tuple(value) if key == "remote_flags" else value
        values.update({k: v for k, v in overrides.items() if v is not None})
        params = cls(**values)
        params.check()
        return params

    def check(self) -> None:
        if self.households < 1:
            raise SamplingError("抽样户数必须大于0")
        if self.households_per_village < 2:
            raise SamplingError("每村抽样户数至少为2")
        if not 0 <= self.registered_share <= 1:
            raise SamplingError("建档立卡户比例应在0与1之间")
        if self.weak_group_factor < 1 or self.remote_village_factor < 1:
            raise SamplingError("重点群体和边远村的加权倍数不能小于1")

    @property
    def villages(self) -> int:
        return math.ceil(self.households / self.households_per_village)


@dataclass
class Frame:
    """The sampling frame of one county.

    villages: code, name, poverty_flag, remote (bool), population (int), registered_people,
      registered_households, nonreg_households (estimated).
    households: household_id, region_code, head_name, status (未脱贫 / 已脱贫), people,
      weak (the weak groups joined by '、', '' if none).
    """

    county_code: str
    villages: pl.DataFrame
    households: pl.DataFrame
    reference_date: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def village_arrays(self) -> dict[str, np.ndarray]:
        v = self.villages
        flags = np.array(v["poverty_flag"].fill_null("").to_list(), dtype=object)
        return {
            "code": np.array(v["code"].to_list(), dtype=object),
            "name": np.array(v["name"].fill_null("").to_list(), dtype=object),
            "poverty_flag": flags,
            "poor": np.isin(flags, POOR_FLAGS),
            "size": np.maximum(v["population"].fill_null(0).to_numpy().astype(float), 1.0),
            "remote": v["remote"].fill_null(False).to_numpy().astype(bool),
            "registered_households": v["registered_households"].fill_null(0).to_numpy(),
            "nonreg_households": v["nonreg_households"].fill_null(0).to_numpy(),
        }

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        hh = self.households
        out = {
            c: np.array(hh[c].fill_null("").to_list(), dtype=object)
            for c in ("household_id", "head_name", "status", "weak")
        }
        out["people"] = hh["people"].fill_null(0).to_numpy()
        return out

    @cached_property
    def by_village(self) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """village -> status -> (row indices into households, is-weak flags)."""
        out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        hh = self.households
        codes = hh["region_code"].to_numpy()
        status = hh["status"].to_numpy()
        weak = (hh["weak"] != "").to_numpy()
        order = np.lexsort((status, codes))
        keys = np.char.add(codes[order].astype(str), status[order].astype(str))
        if len(order):
            bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                idx = order[a:b]
                out.setdefault(str(codes[idx[0]]), {})[str(status[idx[0]])] = (idx, weak[idx])
        return out


@dataclass
class Plan:
    county_code: str
    seed: int
    params: SamplingParams
    villages: pl.DataFrame  # the sampled villages with their probabilities
    units: pl.DataFrame  # one row per household (or slot) to visit
    snapshot: str = ""
    reference_date: dt.date | None = None
    notes: list[str] = field(default_factory=list)


# --- probability proportional to size ---------------------------------------------------------


def inclusion_probabilities(sizes: np.ndarray, n: int) -> np.ndarray:
    """πPS first-order inclusion probabilities for a sample of n, units too large taken with
    certainty (π = 1) and the rest proportional to size."""
    sizes = np.asarray(sizes, dtype=float)
    if n >= len(sizes):
        return np.ones(len(sizes))
    pi = np.zeros(len(sizes))
    certain = np.zeros(len(sizes), dtype=bool)
    while True:
        rest = ~certain
        k = n - int(certain.sum())
        pi[rest] = k * sizes[rest] / sizes[rest].sum()
        over = rest & (pi >= 1)
        if not over.any():
            break
        certain |= over
        pi[certain] = 1.0
    pi[certain] = 1.0
    return pi


def pps_systematic(
    sizes: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Indices drawn by systematic πPS over a random order, and every unit's π.

    Each unit covers an interval of length π on a line of length n; a random start in [0, 1)
    and steps of 1 hit exactly n intervals, unit i with probability π_i exactly.
    """
    pi = inclusion_probabilities(sizes, n)
    if n >= len(sizes):
        return np.arange(len(sizes)), pi
    order = rng.permutation(len(sizes))
    cum = np.cumsum(pi[order])
    points = rng.random() + np.arange(n)
    idx = np.minimum(np.searchsorted(cum, points, side="right"), len(sizes) - 1)
    return np.sort(order[idx]), pi


def _allocate(
    total: int, shares: np.ndarray, minimum: np.ndarray, maximum: np.ndarray
) -> np.ndarray:
    """Largest-remainder allocation of `total` in proportion to `shares`, within bounds.

    Plain Python: the arrays are a few elements long (strata, statuses) and numpy's per-call
    cost would dominate."""
    share = [float(x) for x in shares]
    top = [int(x) for x in maximum]
    alloc = [min(int(a), b) for a, b in zip(minimum, top, strict=True)]
    remaining = total - sum(alloc)
    while remaining > 0:
        room = [i for i in range(len(alloc)) if alloc[i] < top[i]]
        if not room:
            break
        weight = {i: share[i] for i in room}
        if sum(weight.values()) <= 0:
            weight = dict.fromkeys(room, 1.0)
        scale = remaining / sum(weight.values())
        quota = {i: weight[i] * scale for i in room}
        add = {i: min(int(quota[i]), top[i] - alloc[i]) for i in room}
        if sum(add.values()) == 0:
            best = max(room, key=lambda i: (quota[i] - int(quota[i]), weight[i]))
            add = {best: 1}
        for i, a in add.items():
            alloc[i] += a
        remaining = total - sum(alloc)
    return np.array(alloc, dtype=np.int64)


# --- drawing a plan ---------------------------------------------------------------------------


def draw_plan(frame: Frame, params: SamplingParams, seed: int, *, snapshot: str = "") -> Plan:
    """The plan for one county: villages by stratified πPS, households within villages."""
    rng = np.random.default_rng(seed)
    villages = frame.villages
    if villages.height == 0:
        raise SamplingError(f"县 {frame.county_code} 没有村级区划，无法抽样")
    va = frame.village_arrays
    poor = va["poor"]
    size = va["size"]
    remote = va["remote"]
    mos = size * np.where(remote, params.remote_village_factor, 1.0)

    strata = [(STRATUM_POOR, poor), (STRATUM_NONPOOR, ~poor)]
    counts = np.array([int(m.sum()) for _, m in strata])
    pops = np.array([float(size[m].sum()) for _, m in strata])
    n_villages = min(params.villages, int(counts.sum()))
    minimum = np.minimum(counts, params.min_villages_per_stratum)
    alloc = _allocate(n_villages, pops, minimum, counts)

    village_rows: list[dict[str, Any]] = []
    for (label, mask), n_h in zip(strata, alloc, strict=True):
        if n_h == 0:
            continue
        members = np.flatnonzero(mask)
        chosen, pi = pps_systematic(mos[members], int(n_h), rng)
        for j in chosen:
            i = int(members[j])
            village_rows.append({"index": i, "stratum": label, "village_prob": float(pi[j])})

    # households per village: about half registered, half non-registered, at least the target
    reg_households = va["registered_households"]
    nonreg_households = va["nonreg_households"]
    per = params.households_per_village
    want_reg = round(per * params.registered_share)
    cap_reg = np.array([int(reg_households[r["index"]]) for r in village_rows])
    cap_non = np.array([int(nonreg_households[r["index"]]) for r in village_rows])
    m_reg = np.minimum(cap_reg, want_reg)
    m_non = np.minimum(cap_non, per - m_reg)
    m_reg = np.minimum(cap_reg, per - m_non)  # a village short of one kind takes more of the other
    shortfall = params.households - int(m_reg.sum() + m_non.sum())
    while shortfall > 0 and ((m_reg < cap_reg).any() or (m_non < cap_non).any()):
        for k in range(len(village_rows)):
            if shortfall <= 0:
                break
            reg_first = (
                m_reg[k] * (1 - params.registered_share) <= m_non[k] * params.registered_share
            )
            for kind in (0, 1) if reg_first else (1, 0):
                if kind == 0 and m_reg[k] < cap_reg[k]:
                    m_reg[k] += 1
                    shortfall -= 1
                    break
                if kind == 1 and m_non[k] < cap_non[k]:
                    m_non[k] += 1
                    shortfall -= 1
                    break

    vnames = va["name"]
    vcodes = va["code"]
    vflags = va["poverty_flag"]
    out_villages: list[dict[str, Any]] = []
    reg_rows: list[np.ndarray] = []  # rows of frame.households
    reg_p: list[np.ndarray] = []  # their probability within the village
    reg_k: list[np.ndarray] = []  # the sampled village they belong to

    by_village = frame.by_village
    for k, row in enumerate(village_rows):
        i = row["index"]
        groups = by_village.get(vcodes[i], {})
        statuses = sorted(groups)
        sizes = np.array([len(groups[s][0]) for s in statuses])
        if len(statuses):
            least = np.minimum(sizes, 1 if m_reg[k] >= len(statuses) else 0)
            per_status = _allocate(int(m_reg[k]), sizes.astype(float), least, sizes)
        else:
            per_status = np.array([], dtype=int)
        for status, n_s in zip(statuses, per_status, strict=True):
            if n_s == 0:
                continue
            idx, weak = groups[status]
            w_size = np.where(weak, params.weak_group_factor, 1.0)
            chosen, pi = pps_systematic(w_size, int(n_s), rng)
            reg_rows.append(idx[chosen])
            reg_p.append(pi[chosen])
            reg_k.append(np.full(len(chosen), k))
        out_villages.append(
            {
                "stratum": row["stratum"],
                "code": vcodes[i],
                "name": vnames[i],
                "poverty_flag": vflags[i] or "",
                "remote": bool(remote[i]),
                "population": int(size[i]),
                "size_measure": float(mos[i]),
                "village_prob": row["village_prob"],
                "village_weight": 1.0 / row["village_prob"],
                "registered_households": int(reg_households[i]),
                "nonreg_households": int(nonreg_households[i]),
                "sampled_registered": int(per_status.sum()) if len(per_status) else 0,
                "sampled_nonreg": int(m_non[k]),
            }
        )
    units = _units(frame, village_rows, out_villages, reg_rows, reg_p, reg_k, m_non)
    notes = [
        f"抽样县 {frame.county_code}，随机种子 {seed}，目标户数 {params.households}，"
        f"每村约 {per} 户（建档立卡户约占 {params.registered_share:.0%}）",
        "村按贫困村/非贫困村分层，层内按人口规模成比例（πPS）系统抽样；"
        f"边远村（{'、'.join(params.remote_flags)}"
        + ("、未通硬化路" if params.remote_if_no_hardened_road else "")
        + f"）规模乘以 {params.remote_village_factor:g}，提高其入样概率",
        "建档立卡户按未脱贫/已脱贫分别抽取，低保（特困）、危房、重病、残疾、独居老人户的入样概率为一般户的 "
        f"{params.weak_group_factor:g} 倍",
        "非建档立卡户不在系统中：方案按村列出“待抽户”名额，由评估组到村后按户籍花名册随机起点等距抽取；"
        f"村内非建档立卡户数按（村户籍人口−建档立卡人口）÷{params.average_household_size:g}估计，"
        "回收调查表时按实际调查户数重算权重",
        "权重 = 1 ÷（村入样概率 × 村内户入样概率）",
        "填表：建档立卡户填“达到脱贫标准”（已脱贫户）、“不应纳入”、“漏评人口”（漏登成员数）和“认可”；"
        "非建档立卡户填“家庭人口”、“应纳未纳”、“漏评人口”和“认可”。未能入户的行请整行删除，"
        "不要留空；回收后用 fupin assess --survey 本表 --plan 原方案 计算",
    ] + frame.notes
    return Plan(
        frame.county_code,
        seed,
        params,
        pl.DataFrame(out_villages),
        units,
        snapshot=snapshot,
        reference_date=frame.reference_date,
        notes=notes,
    )


def _units(
    frame: Frame,
    village_rows: list[dict[str, Any]],
    out_villages: list[dict[str, Any]],
    reg_rows: list[np.ndarray],
    reg_p: list[np.ndarray],
    reg_k: list[np.ndarray],
    m_non: np.ndarray,
) -> pl.DataFrame:
    """One row per household (or non-registered slot) to visit, village by village."""
    cols = frame.arrays
    rows = np.concatenate(reg_rows) if reg_rows else np.array([], dtype=np.int64)
    k_reg = np.concatenate(reg_k) if reg_k else np.array([], dtype=np.int64)
    p_reg = np.concatenate(reg_p) if reg_p else np.array([], dtype=float)
    k_non = np.repeat(np.arange(len(m_non)), m_non)
    slot = (
        np.concatenate([np.arange(1, m + 1) for m in m_non])
        if len(m_non)
        else np.array([], dtype=np.int64)
    )
    codes = np.array([o["code"] for o in out_villages], dtype=object)
    names = np.array([o["name"] for o in out_villages], dtype=object)
    strata = np.array([o["stratum"] for o in out_villages], dtype=object)
    vprob = np.array([o["village_prob"] for o in out_villages], dtype=float)
    nonreg = np.array([o["nonreg_households"] for o in out_villages], dtype=float)
    p_non = (m_non / np.maximum(nonreg, 1))[k_non]
    # registered first in each village, then its slots
    k_all = np.concatenate([k_reg, k_non])
    order = np.lexsort((np.r_[np.zeros(len(k_reg)), np.ones(len(k_non))], k_all))
    n_non = len(k_non)
    ids = np.concatenate([cols["household_id"][rows], np.full(n_non, "", dtype=object)])
    slot_ids = np.array(
        [f"{codes[k]}-F{j:02d}" for k, j in zip(k_non, slot, strict=True)], dtype=object
    )
    p_hh = np.concatenate([p_reg, p_non])
    prob = vprob[k_all] * p_hh
    people = np.concatenate([cols["people"][rows].astype(float), np.full(n_non, np.nan)])
    data = {
        "unit_id": np.concatenate([cols["household_id"][rows], slot_ids])[order],
        "region_code": codes[k_all][order],
        "village_name": names[k_all][order],
        "household_id": ids[order],
        "head_name": np.concatenate([cols["head_name"][rows], np.full(n_non, "", dtype=object)])[
            order
        ],
        "registered": np.r_[np.ones(len(k_reg), bool), np.zeros(n_non, bool)][order],
        "status_claimed": np.concatenate(
            [cols["status"][rows], np.full(n_non, "非贫困户", dtype=object)]
        )[order],
        "people": people[order],
        "weak": np.concatenate([cols["weak"][rows], np.full(n_non, "", dtype=object)])[order],
        "stratum": strata[k_all][order],
        "cluster": codes[k_all][order],
        "village_prob": vprob[k_all][order],
        "household_prob": p_hh[order],
        "prob": prob[order],
        "weight": (1.0 / prob)[order],
    }
    frame_out = pl.DataFrame(
        {k: (v.tolist() if v.dtype == object else v) for k, v in data.items()},
        schema_overrides={
            c: pl.Utf8
            for c in (
                "unit_id",
                "region_code",
                "village_name",
                "household_id",
                "head_name",
                "status_claimed",
                "weak",
                "stratum",
                "cluster",
            )
        },
        nan_to_null=True,
    )
    return frame_out.with_columns(pl.col("people").cast(pl.Int64))


# --- frames from a data set -------------------------------------------------------------------


def load_frame(
    con: Any, county_code: str, params: SamplingParams, reference_date: dt.date
) -> Frame:
    """The frame of a county from a DuckDB connection of `fupin.engine.dataset.open_dataset`."""
    prefix = county_code[:6]
    flags = list(params.remote_flags)
    villages = _polars(
        con.execute(
            """
        WITH reg AS (
            SELECT h.region_code, COUNT(DISTINCT h.household_id) AS hh, COUNT(m.id_number) AS people
            FROM households h LEFT JOIN members m USING (household_id)
            WHERE h.status IS DISTINCT FROM '清退' AND h.region_code LIKE ? || '%'
            GROUP BY h.region_code
        )
        SELECT r.code, r.name, r.poverty_flag, r.population,
               (r.poverty_flag IN (SELECT UNNEST(?::VARCHAR[])))
               OR (? AND v.road_hardened = FALSE) AS remote,
               COALESCE(reg.people, 0) AS registered_people,
               COALESCE(reg.hh, 0) AS registered_households
        FROM regions r
        LEFT JOIN villages v ON v.region_code = r.code
        LEFT JOIN reg ON reg.region_code = r.code
        WHERE r.level = '村' AND r.code LIKE ? || '%'
        ORDER BY r.code
        """,
            [prefix, flags, params.remote_if_no_hardened_road, prefix],
        )
    )
    notes: list[str] = []
    if villages.height:
        pop = villages["population"]
        missing = int(pop.is_null().sum())
        if missing:
            notes.append(f"{missing}个村缺少户籍人口，按建档立卡人口计")
        villages = villages.with_columns(
            population=pl.max_horizontal(
                pl.col("population").fill_null(0), pl.col("registered_people")
            ).cast(pl.Int64),
            remote=pl.col("remote").fill_null(False),
        ).with_columns(
            nonreg_households=(
                (pl.col("population") - pl.col("registered_people")).clip(lower_bound=0)
                / params.average_household_size
            )
            .round(0)
            .cast(pl.Int64)
        )
    households = _polars(
        con.execute(
            """
        SELECT h.household_id, h.region_code, h.head_name,
               CASE WHEN h.status = '已脱贫' THEN '已脱贫' ELSE '未脱贫' END AS status,
               COUNT(m.id_number) AS people,
               COALESCE(h.attribute IN ('低保贫困户', '特困供养贫困户'), FALSE)
                 OR COALESCE(BOOL_OR(m.dibao OR m.tekun), FALSE) AS g_dibao,
               COALESCE(h.housing_grade IN ('C', 'D') AND NOT COALESCE(h.housing_renovated, FALSE), FALSE) AS g_house,
               COALESCE(BOOL_OR(m.health LIKE '%患有大病%'), FALSE) AS g_ill,
               COALESCE(BOOL_OR(m.health LIKE '%残疾%'), FALSE) AS g_disabled,
               COUNT(m.id_number) = 1
                 AND COALESCE(MIN(date_diff('year', m.birth_date, ?::DATE)) >= ?, FALSE) AS g_elderly
        FROM households h LEFT JOIN members m USING (household_id)
        WHERE h.status IS DISTINCT FROM '清退' AND h.region_code LIKE ? || '%'
        GROUP BY h.household_id, h.region_code, h.head_name, h.status, h.attribute,
                 h.housing_grade, h.housing_renovated
        ORDER BY h.household_id
        """,
            [reference_date, params.elderly_age, prefix],
        )
    )
    labels = dict(
        zip(("g_dibao", "g_house", "g_ill", "g_disabled", "g_elderly"), WEAK_GROUPS, strict=True)
    )
    households = households.with_columns(
        weak=pl.concat_str(
            [pl.when(pl.col(c)).then(pl.lit(v)).otherwise(None) for c, v in labels.items()],
            separator="、",
            ignore_nulls=True,
        ).fill_null("")
    ).select("household_id", "region_code", "head_name", "status", "people", "weak")
    return Frame(county_code, villages, households, reference_date, notes)


def _polars(result: Any) -> pl.DataFrame:
    names = [d[0] for d in result.description]
    return pl.DataFrame(result.fetchall(), schema=names, orient="row", infer_schema_length=None)


def county_populations(con: Any) -> dict[str, Any]:
    """Registry counts per county for the comprehensive incidence (see estimation.Population)."""
    from fupin.engine.assessment.estimation import Population

    rows = con.execute(
        """
        WITH v AS (
            SELECT SUBSTR(code, 1, 6) AS county, SUM(population) AS pop
            FROM regions WHERE level = '村' GROUP BY 1
        ), c AS (
            SELECT SUBSTR(code, 1, 6) AS county, population AS pop FROM regions WHERE level = '县'
        ), p AS (
            SELECT SUBSTR(h.region_code, 1, 6) AS county,
                   COUNT(m.id_number) FILTER (WHERE h.status IN ('未脱贫', '返贫')) AS not_exited,
                   COUNT(m.id_number) FILTER (WHERE h.status = '已脱贫') AS exited
            FROM households h JOIN members m USING (household_id)
            GROUP BY 1
        )
        SELECT p.county, COALESCE(v.pop, c.pop) AS pop, p.not_exited, p.exited
        FROM p LEFT JOIN v USING (county) LEFT JOIN c USING (county)
        """
    ).fetchall()
    out: dict[str, Any] = {}
    for county, pop, not_exited, exited in rows:
        if pop is None or pop <= 0:
            continue
        out[county + "000000"] = Population(
            int(pop), int(not_exited), int(exited), int(not_exited + exited)
        )
    return out


def village_populations(con: Any) -> dict[str, Any]:
    """Registry counts per village (for the village-level incidence of seed 000 item 7(2))."""
    from fupin.engine.assessment.estimation import Population

    rows = con.execute(
        """
        SELECT r.code, r.population,
               COUNT(m.id_number) FILTER (WHERE h.status IN ('未脱贫', '返贫')) AS not_exited,
               COUNT(m.id_number) FILTER (WHERE h.status = '已脱贫') AS exited
        FROM regions r
        LEFT JOIN households h ON h.region_code = r.code
        LEFT JOIN members m ON m.household_id = h.household_id
        WHERE r.level = '村'
        GROUP BY r.code, r.population
        """
    ).fetchall()
    return {
        code: Population(int(pop), int(ne), int(ex), int(ne + ex))
        for code, pop, ne, ex in rows
        if pop is not None and pop > 0
    }
