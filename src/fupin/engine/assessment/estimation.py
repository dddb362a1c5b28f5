"""三率一度 from survey findings, with design-based 95 % confidence intervals.

The rates (issue 5, seed 000 item 17, seed 001 四.(三)):

- wrong_exit_rate 错退率 = wrong-exit people ÷ exited people among the sampled registered
  households (registered, system status 已脱贫, the assessor found the exit standard not met);
- missed_rate 漏评率 = missed people ÷ non-registered people in the sampled households
  (non-registered households plus the members left out of registered ones);
- wrong_identification_rate 错评率 = people of registered households that should not have been
  registered ÷ people of the sampled registered households;
- comprehensive_incidence 综合贫困发生率 = (registered people not yet exited + 漏评率 ×
  non-registered rural people + 错退率 × exited people) ÷ rural population — needs registry
  counts, left out without them;
- recognition 群众认可度 = households that recognise the work ÷ households asked (weighted).

Each rate is a ratio of two weighted totals. Point estimates, standard errors (Taylor
linearisation, stratified, with the primary sampling units — villages — as ultimate clusters,
the usual with-replacement approximation) and design effects come from the `svy` package. The
interval is Korn–Graubard: a Clopper–Pearson interval on the effective sample size
n·(1/deff), adjusted for the design degrees of freedom. It never leaves [0, 1], stays honest
when a rate is 0 (no wrong exits found is not a certainty of none), and on a simple random
sample of households it is the exact Clopper–Pearson interval.

Open details of the documents are parameters (`RateParams`): people or households as the unit,
which households count for recognition, the confidence level.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

INDICATORS = (
    "wrong_exit_rate",
    "missed_rate",
    "wrong_identification_rate",
    "comprehensive_incidence",
    "recognition",
)
SAMPLE_INDICATORS = ("wrong_exit_rate", "missed_rate", "wrong_identification_rate", "recognition")

INDICATOR_NAMES = {
    "wrong_exit_rate": "错退率",
    "missed_rate": "漏评率",
    "wrong_identification_rate": "错评率",
    "comprehensive_incidence": "综合贫困发生率",
    "recognition": "群众认可度",
}

LEVELS = ("county", "city", "province")
LEVEL_NAMES = {"village": "村", "county": "县", "city": "市", "province": "省"}

Unit = Literal["people", "households"]
MissedDenominator = Literal["sampled_households", "village_population"]
MISSED_DENOMINATORS = {
    "sampled_households": "受访非建档立卡户人口（比率估计）",
    "village_population": "抽中村全部非建档立卡农村人口（户籍人口−建档立卡人口）",
}


class EstimationError(ValueError):
    """The findings cannot be estimated (no usable rows, broken design)."""


@dataclass(frozen=True)
class RateParams:
    """Open details of the rate definitions, from the policy file's `rates` section."""

    unit: Unit = "people"  # count people (the documents' 人口) or households
    recognition_population: Literal["all", "registered"] = "all"
    confidence: float = 0.95
    # members left out of a registered household are non-registered people: count them in the
    # denominator of the missed rate as well as in its numerator
    left_out_members_in_denominator: bool = True
    # the interval of a household rate from a simple random sample
    simple_interval: Literal["clopper-pearson", "wilson"] = "clopper-pearson"
    # the denominator of the missed rate: the people of the sampled non-registered households
    # (a ratio estimator) or the whole non-registered rural population of the sampled villages
    # (issue 5's definition; seed 000 item 17(2): the missed people of the sampled villages are
    # surveyed in full)
    missed_rate_denominator: MissedDenominator = "sampled_households"

    @classmethod
    def from_policy(cls, section: Mapping[str, Any] | None) -> RateParams:
        section = section or {}
        unit = section.get("unit", "people")
        if unit not in ("people", "households"):
            raise ValueError(f"rates.unit 应为 people 或 households，而不是 {unit!r}")
        rec = section.get("recognition_population", "all")
        if rec not in ("all", "registered"):
            raise ValueError(f"rates.recognition_population 应为 all 或 registered，而不是 {rec!r}")
        conf = float(section.get("confidence", 0.95))
        if not 0.5 < conf < 1:
            raise ValueError(f"rates.confidence 应在0.5与1之间，而不是 {conf}")
        simple = section.get("simple_interval", "clopper-pearson")
        if simple not in ("clopper-pearson", "wilson"):
            raise ValueError(
                f"rates.simple_interval 应为 clopper-pearson 或 wilson，而不是 {simple!r}"
            )
        missed_den = section.get("missed_rate_denominator", "sampled_households")
        if missed_den not in MISSED_DENOMINATORS:
            raise ValueError(
                "rates.missed_rate_denominator 应为 sampled_households 或 village_population，"
                f"而不是 {missed_den!r}"
            )
        if missed_den == "village_population" and unit == "households":
            raise ValueError(
                "rates.missed_rate_denominator 为 village_population 时 rates.unit 须为 people"
                "（村的非建档立卡户数不在户籍数据中）"
            )
        return cls(
            missed_rate_denominator=missed_den,
            simple_interval=simple,
            unit=unit,
            recognition_population=rec,
            confidence=conf,
            left_out_members_in_denominator=bool(
                section.get("left_out_members_in_denominator", True)
            ),
        )

    def missed_definition(self) -> str:
        """Which reading of 漏评率 is used (policy parameter rates.missed_rate_denominator)."""
        if self.missed_rate_denominator == "village_population":
            return (
                "漏评率 = 抽中村发现的漏评人口 ÷ 抽中村全部非建档立卡农村人口（村户籍人口−建档立卡人口），"
                "按抽中村加权（政策参数 rates.missed_rate_denominator = village_population；"
                "假定抽中村的漏评人口已全面调查，000 第17项(2)）"
            )
        return (
            "漏评率 = 受访户漏评人口 ÷ 受访非建档立卡户人口"
            + ("及建档立卡户中漏登成员" if self.left_out_members_in_denominator else "")
            + "（比率估计；政策参数 rates.missed_rate_denominator = sampled_households）"
        )

    def describe(self) -> list[str]:
        unit = "人口（人数）" if self.unit == "people" else "户数"
        rec = "全部受访户" if self.recognition_population == "all" else "受访建档立卡户"
        return [
            f"错退率、漏评率、错评率按{unit}计算（政策参数 rates.unit）",
            f"群众认可度按户计算，分母为{rec}中回答了认可问题的户（政策参数 rates.recognition_population）",
            self.missed_definition(),
            f"置信水平 {self.confidence:.0%}",
        ]


@dataclass(frozen=True)
class Population:
    """Registry counts of a county (people), for the comprehensive incidence."""

    rural_population: int  # 农村户籍人口, the denominator
    registered_not_exited: int  # 未脱贫 and 返贫 people
    exited: int  # 已脱贫 people
    registered: int  # all registered people (清退 excluded)

    @property
    def non_registered(self) -> int:
        return max(self.rural_population - self.registered, 0)

    def __add__(self, other: Population) -> Population:
        return Population(
            self.rural_population + other.rural_population,
            self.registered_not_exited + other.registered_not_exited,
            self.exited + other.exited,
            self.registered + other.registered,
        )


@dataclass(frozen=True)
class RateEstimate:
    region_code: str
    level: str
    indicator: str
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    design_effect: float | None
    n_households: int
    df: int
    ci_method: str
    note: str = ""

    @property
    def name(self) -> str:
        return INDICATOR_NAMES[self.indicator]

    def as_row(self) -> dict[str, object]:
        return {
            "region_code": self.region_code,
            "indicator": self.indicator,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n_households": self.n_households,
            "design_effect": self.design_effect,
        }


@dataclass
class Estimates:
    rates: list[RateEstimate]
    notes: list[str] = field(default_factory=list)  # what was left out and why, open details
    # indicator → the reading of its definition used (open details of the documents)
    definitions: dict[str, str] = field(default_factory=dict)

    def get(self, region_code: str, indicator: str) -> RateEstimate | None:
        for r in self.rates:
            if r.region_code == region_code and r.indicator == indicator:
                return r
        return None

    def regions(self, level: str) -> list[str]:
        return sorted({r.region_code for r in self.rates if r.level == level})


# --- intervals --------------------------------------------------------------------------------


def clopper_pearson(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for x successes in n trials (x and n may be fractional, as the
    Korn–Graubard effective counts are)."""
    from scipy.special import betaincinv

    if n <= 0:
        return (0.0, 1.0)
    a = 1 - confidence
    lo = 0.0 if x <= 0 else float(betaincinv(x, n - x + 1, a / 2))
    hi = 1.0 if x >= n else float(betaincinv(x + 1, n - x, 1 - a / 2))
    return (lo, hi)


def wilson(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    from scipy.special import ndtri

    if n <= 0:
        return (0.0, 1.0)
    z = float(ndtri(1 - (1 - confidence) / 2))
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def korn_graubard(
    p: float, se: float, n: float, df: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Korn & Graubard (1998) interval for a proportion from a complex sample.

    The effective sample size is p(1-p)/se² (n when p is 0 or 1 or se is 0), capped at n and
    shrunk by (t_{n-1}/t_df)² for the design degrees of freedom; the interval is Clopper–Pearson
    on that effective size.
    """
    from scipy.special import stdtrit

    if n <= 0:
        return (0.0, 1.0)
    p = min(max(p, 0.0), 1.0)
    n_eff = min(n, p * (1 - p) / (se * se)) if se > 0 and 0 < p < 1 else n
    a = 1 - confidence
    if df > 0 and n > 1:
        ratio = float(stdtrit(n - 1, 1 - a / 2)) / float(stdtrit(df, 1 - a / 2))
        n_eff = min(n, n_eff * ratio * ratio)
    return clopper_pearson(p * n_eff, n_eff, confidence)


# --- preparing the findings -------------------------------------------------------------------

_NUM = {
    "wrong_exit_rate": "_we_num",
    "missed_rate": "_mi_num",
    "wrong_identification_rate": "_wi_num",
    "recognition": "_rec_num",
}
_DEN = {
    "wrong_exit_rate": "_we_den",
    "missed_rate": "_mi_den",
    "wrong_identification_rate": "_wi_den",
    "recognition": "_rec_den",
}


def prepare(findings: pl.DataFrame, params: RateParams) -> pl.DataFrame:
    """The findings with design columns (_w, _stratum, _psu) and, for each rate, a numerator
    and a denominator variable per household (zero outside the rate's domain)."""
    need = {"region_code", "registered", "people"}
    missing = need - set(findings.columns)
    if missing:
        raise EstimationError(f"调查结果缺少列：{'、'.join(sorted(missing))}")
    if findings.height == 0:
        raise EstimationError("调查结果没有任何一户")
    lazy = findings.lazy()
    for name, dtype in (
        ("status_claimed", pl.Utf8),
        ("meets_exit_standard", pl.Boolean),
        ("should_be_registered", pl.Boolean),
        ("missed_people", pl.Int64),
        ("should_not_be_registered", pl.Boolean),
        ("satisfied", pl.Boolean),
        ("weight", pl.Float64),
        ("stratum", pl.Utf8),
        ("cluster", pl.Utf8),
    ):
        if name not in findings.columns:
            lazy = lazy.with_columns(pl.lit(None, dtype).alias(name))
    lazy = lazy.with_row_index("_row")
    county = pl.col("region_code").str.slice(0, 6)
    has_cluster = pl.col("cluster").is_not_null() & (pl.col("cluster") != "")
    lazy = lazy.with_columns(
        _w=pl.col("weight").cast(pl.Float64).fill_null(1.0),
        _stratum=pl.concat_str([county, pl.col("stratum").fill_null("")], separator="/"),
    ).with_columns(
        _psu=pl.when(has_cluster)
        .then(pl.concat_str([pl.col("_stratum"), pl.col("cluster")], separator="/"))
        .otherwise(pl.concat_str([pl.lit("#"), pl.col("_row").cast(pl.Utf8)])),
    )

    households = params.unit == "households"
    people = pl.lit(1, pl.Float64) if households else pl.col("people").cast(pl.Float64)
    reg = pl.col("registered").fill_null(False)
    exited = reg & (pl.col("status_claimed") == "已脱贫")
    missed = pl.col("missed_people").fill_null(0).cast(pl.Float64)
    # a non-registered household found to be a missed poor household with no head-count given:
    # the whole household is missed
    missed = (
        pl.when(~reg & pl.col("should_be_registered").fill_null(False) & (missed == 0))
        .then(pl.col("people").cast(pl.Float64))
        .otherwise(missed)
    )
    missed_unit = (missed > 0).cast(pl.Float64) if households else missed
    left_out = reg & (missed > 0) if params.left_out_members_in_denominator else pl.lit(False)
    asked = pl.col("satisfied").is_not_null()
    if params.recognition_population == "registered":
        asked = asked & reg

    def flag(cond: pl.Expr) -> pl.Expr:
        return pl.when(cond.fill_null(False)).then(1.0).otherwise(0.0)

    lazy = lazy.with_columns(
        _we_den=flag(exited & pl.col("meets_exit_standard").is_not_null()) * people,
        _we_num=flag(exited & (pl.col("meets_exit_standard") == False)) * people,  # noqa: E712
        _mi_den=flag(~reg) * people + flag(left_out) * missed_unit,
        _mi_num=missed_unit,
        _wi_den=flag(reg & pl.col("should_not_be_registered").is_not_null()) * people,
        _wi_num=flag(reg & (pl.col("should_not_be_registered") == True)) * people,  # noqa: E712
        _rec_den=flag(asked),
        _rec_num=flag(asked & (pl.col("satisfied") == True)),  # noqa: E712
    )
    return lazy.collect()


def _is_simple(df: pl.DataFrame) -> bool:
    """No design strata or clusters given and equal weights: a simple random sample."""
    row = df.select(
        strata=(pl.col("stratum").fill_null("") != "").any(),
        clusters=(pl.col("cluster").fill_null("") != "").any(),
        spread=pl.col("_w").max() - pl.col("_w").min(),
    ).row(0)
    return not row[0] and not row[1] and row[2] == 0


# --- estimation -------------------------------------------------------------------------------


def _svy_sample(df: pl.DataFrame) -> tuple[Any, int]:
    import svy

    counts = df.group_by("_stratum").agg(pl.col("_psu").n_unique().alias("k"))
    singletons = int((counts["k"] == 1).sum())
    design = svy.Design(
        stratum="_stratum",
        psu="_psu",
        wgt="_w",
        singleton="center" if singletons else None,
    )
    return svy.Sample(df, design), singletons


def _deff(value: Any) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _svy_ratios(
    sample: Any, indicators: Sequence[str]
) -> dict[str, tuple[float, float, float | None]]:
    """est, se, deff of sum(w·num)/sum(w·den) for each indicator, over the whole sample.

    svy cannot form a design effect where an estimate has no variance (every household gave the
    same answer) and raises: such an indicator is estimated again without it.
    """
    import svy

    out: dict[str, tuple[float, float, float | None]] = {}
    nums = [_NUM[i] for i in indicators]
    dens = [_DEN[i] for i in indicators]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            results = sample.estimation.ratio(nums, dens, deff="wr")
        except svy.SvyError:
            results = []
            for num, den in zip(nums, dens, strict=True):
                try:
                    results.append(sample.estimation.ratio(num, den, deff="wr"))
                except svy.SvyError:
                    results.append(sample.estimation.ratio(num, den))
    if not isinstance(results, list):
        results = [results]
    for indicator, result in zip(indicators, results, strict=True):
        row = result.to_polars().row(0, named=True)
        out[indicator] = (float(row["est"]), float(row["se"]), _deff(row.get("deff")))
    return out


def _svy_total(sample: Any, var: str) -> tuple[float, float | None]:
    """se and deff of the weighted total of `var`."""
    import svy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sample.estimation.total(var, deff="wr")
        except svy.SvyError:
            result = sample.estimation.total(var)
    row = result.to_polars().row(0, named=True)
    return float(row["se"]), _deff(row.get("deff"))


_INCIDENCE_NEEDS = ("missed_rate", "wrong_exit_rate")
_KEEP = {"province": 2, "city": 4, "county": 6, "village": 12}


def estimate_rates(
    findings: pl.DataFrame,
    params: RateParams | None = None,
    *,
    populations: Mapping[str, Population] | None = None,
    levels: Sequence[str] = LEVELS,
    indicators: Sequence[str] = INDICATORS,
    villages: pl.DataFrame | None = None,
) -> Estimates:
    """Every rate per county, city and province (as `levels` asks) of the surveyed villages.

    `findings` has the survey.csv fields (typed); `weight`, `stratum` and `cluster` carry the
    design. `populations` maps county codes to registry counts; without them the comprehensive
    incidence is left out and a note says why.

    With `rates.missed_rate_denominator = village_population` the missed rate is estimated over
    the sampled villages instead: `villages` (see `sampled_villages`) lists every sampled
    village with its design weight and its non-registered rural people; without it the missed
    rate (and the incidence, which needs it) is left out and a note says why.

    Strata never cross a county (the county code is part of every stratum), so a county, city
    or province is a union of whole strata and its rates are estimated from its own rows: the
    variance of a stratified design is the sum of the strata's, and the other strata add
    nothing to it.
    """
    params = params or RateParams()
    df = prepare(findings, params)
    df = df.with_columns(
        [
            pl.concat_str(
                [pl.col("region_code").str.slice(0, _KEEP[lv]), pl.lit("0" * (12 - _KEEP[lv]))]
            ).alias(f"_r_{lv}")
            for lv in levels
        ]
    )
    if float(df["_w"].min()) <= 0:  # type: ignore[arg-type]
        raise EstimationError("权重必须大于0")
    notes = params.describe()
    simple = _is_simple(df)
    if simple:
        notes.append(
            "调查未给出层和群、权重相等，按简单随机抽样计算；按户计的比率用"
            + ("Wilson区间" if params.simple_interval == "wilson" else "Clopper–Pearson精确区间")
        )
    wanted = [i for i in SAMPLE_INDICATORS if i in indicators]
    village_reading = params.missed_rate_denominator == "village_population"
    vframe: pl.DataFrame | None = None
    if village_reading and ("missed_rate" in wanted or "comprehensive_incidence" in indicators):
        if villages is None:
            notes.append(
                "漏评率按抽中村全部非建档立卡人口计算，需要村户籍人口和建档立卡人口"
                "（--data 或 --snapshot），未提供，漏评率和综合贫困发生率未计算"
            )
            wanted = [i for i in wanted if i != "missed_rate"]
            indicators = [i for i in indicators if i != "comprehensive_incidence"]
        else:
            vframe = _village_rows(df, villages, levels)
    incidence = "comprehensive_incidence" in indicators
    if incidence and populations is None:
        notes.append(
            "未提供建档立卡数据（--data 或 --snapshot），综合贫困发生率需要农村人口、未脱贫人口和已脱贫人口，未计算"
        )
    if incidence and populations is not None:
        counties = (
            sorted(set(df["_r_county"].to_list()))
            if "county" in levels
            else sorted({c[:6] + "000000" for c in df["region_code"].to_list()})
        )
        absent = [c for c in counties if c not in populations]
        if absent:
            notes.append("以下县没有建档立卡人口数据，综合贫困发生率未计算：" + "、".join(absent))
    # svy infers metadata for every column it is given: hand it only what the estimates use
    used = [i for i in SAMPLE_INDICATORS if i in wanted or (incidence and i in _INCIDENCE_NEEDS)]
    columns = ["_w", "_stratum", "_psu", "region_code"]
    columns += [_NUM[i] for i in used] + [_DEN[i] for i in used]
    rates: list[RateEstimate] = []
    singletons = 0
    for level in levels:
        by = f"_r_{level}"
        for code, part in sorted(
            df.select([by, *columns]).partition_by(by, as_dict=True, include_key=False).items()
        ):
            region = str(code[0])
            found, lonely = _estimate_region(
                part,
                region,
                level,
                used,
                params,
                simple,
                populations if incidence else None,
                vframe.filter(pl.col(by) == region) if vframe is not None else None,
            )
            rates.extend(r for r in found if r.indicator in indicators)
            singletons = max(singletons, lonely) if level != "county" else singletons + lonely
    if singletons:
        notes.append(
            f"有{singletons}个层只有一个初级抽样单位（村），其方差按“居中”法（与总体均值比较）估计"
        )
    order = {name: i for i, name in enumerate(INDICATORS)}
    level_order = {lv: i for i, lv in enumerate(LEVELS)}
    rates.sort(key=lambda r: (level_order.get(r.level, 9), r.region_code, order[r.indicator]))
    return Estimates(rates, notes, {"missed_rate": params.missed_definition()})


def _estimate_region(
    part: pl.DataFrame,
    region: str,
    level: str,
    indicators: Sequence[str],
    params: RateParams,
    simple: bool,
    populations: Mapping[str, Population] | None,
    villages: pl.DataFrame | None = None,
) -> tuple[list[RateEstimate], int]:
    conf = params.confidence
    by_village = villages is not None and "missed_rate" in indicators
    if by_village:
        indicators = [i for i in indicators if i != "missed_rate"]
    sums = part.select(
        [pl.col(_DEN[i]).gt(0).sum().alias(i) for i in indicators]
        + [pl.col(_DEN[i]).sum().alias(f"{i}_den") for i in indicators]
        + [pl.col(_NUM[i]).sum().alias(f"{i}_num") for i in indicators]
        + [(pl.col("_psu").n_unique() - pl.col("_stratum").n_unique()).alias("_df")]
    ).row(0, named=True)
    # design degrees of freedom of the region: its PSUs minus its strata
    dfree = max(int(sums["_df"]), 1)
    usable = [i for i in indicators if sums[f"{i}_den"] > 0]
    sample, singletons = _svy_sample(part)
    stats = _svy_ratios(sample, usable) if usable else {}
    out: list[RateEstimate] = []
    for indicator in usable:
        est, se, deff = stats[indicator]
        n_hh = int(sums[indicator])
        household_unit = indicator == "recognition" or params.unit == "households"
        if simple and household_unit:
            x = float(sums[f"{indicator}_num"])
            if params.simple_interval == "wilson":
                lo, hi = wilson(x, float(n_hh), conf)
                method = "Wilson"
            else:
                lo, hi = clopper_pearson(x, float(n_hh), conf)
                method = "Clopper-Pearson"
        else:
            n = float(n_hh) if est <= 0 or se <= 0 else float(sums[f"{indicator}_den"])
            lo, hi = korn_graubard(est, se, n, dfree, conf)
            method = "Korn-Graubard"
        out.append(
            RateEstimate(region, level, indicator, est, lo, hi, se, deff, n_hh, dfree, method)
        )
    if by_village:
        assert villages is not None
        missed = _missed_over_villages(villages, region, level, part.height, conf)
        if missed is not None:
            out.append(missed)
            stats = {**stats, "missed_rate": (missed.estimate, missed.se, missed.design_effect)}
    if populations is not None and "missed_rate" in stats and "wrong_exit_rate" in stats:
        total = _population_of(region, level, part, populations)
        if total is not None:
            inc = _incidence(
                part,
                sample,
                region,
                level,
                total,
                stats,
                dfree,
                conf,
                villages if by_village else None,
            )
            if inc is not None:
                out.append(inc)
    return out, singletons


def _population_of(
    region: str, level: str, part: pl.DataFrame, populations: Mapping[str, Population]
) -> Population | None:
    """The registry counts of a region: its own (a village, a county) or the sum of its
    surveyed counties (a city, a province: the incidence of the part that was assessed)."""
    if level in ("village", "county"):
        return populations.get(region)
    counties = _counties_of(part)
    pops = [p for c, p in populations.items() if c[6:] == "000000" and c[:6] in counties]
    if not pops or len(pops) != len(counties):
        return None
    total = pops[0]
    for p in pops[1:]:
        total = total + p
    return total


def _counties_of(part: pl.DataFrame) -> set[str]:
    return set(part["region_code"].str.slice(0, 6).unique().to_list())


def _incidence(
    part: pl.DataFrame,
    sample: Any,
    region: str,
    level: str,
    pop: Population,
    stats: Mapping[str, tuple[float, float, float | None]],
    dfree: int,
    confidence: float,
    villages: pl.DataFrame | None = None,
) -> RateEstimate | None:
    """综合贫困发生率 = (A + m·B + e·C) / N, A, B, C, N from the registry.

    With the village reading of the missed rate, its part of u is a variable of the sampled
    villages (weighted by the village weights), in the same strata and clusters as the
    households: the variance adds up over the clusters as before.

    Its linearised variance is that of the weighted total of
    u = B/X̂_m·(y_m − m·x_m) + C/X̂_e·(y_e − e·x_e), divided by N²; svy computes it. The
    interval is Korn–Graubard on q = (m·B + e·C)/(B + C), the share of non-registered and
    exited people found poor, mapped back to the incidence.
    """
    import svy

    n_pop = pop.rural_population
    if n_pop <= 0:
        return None
    m = stats["missed_rate"][0]
    e = stats["wrong_exit_rate"][0]
    xe = float((part["_w"] * part["_we_den"]).sum())
    u = (pop.exited / xe) * (part["_we_num"] - e * part["_we_den"])
    if villages is None:
        xm = float((part["_w"] * part["_mi_den"]).sum())
        u = u + (pop.non_registered / xm) * (part["_mi_num"] - m * part["_mi_den"])
        data = part.select("_w", "_stratum", "_psu").with_columns(_u=u)
        se_total, deff = _svy_total(svy.Sample(data, sample.design), "_u")
    else:
        xm = float((villages["_w"] * villages["_mi_den"]).sum())
        um = (pop.non_registered / xm) * (villages["_mi_num"] - m * villages["_mi_den"])
        data = pl.concat(
            [
                part.select("_w", "_stratum", "_psu").with_columns(_u=u),
                villages.select("_w", "_stratum", "_psu").with_columns(_u=um),
            ]
        )
        se_total, deff = _svy_total(_svy_sample(data)[0], "_u")
    est = (pop.registered_not_exited + m * pop.non_registered + e * pop.exited) / n_pop
    se = se_total / n_pop
    random_part = pop.non_registered + pop.exited
    base = pop.registered_not_exited / n_pop
    if random_part > 0:
        q = (m * pop.non_registered + e * pop.exited) / random_part
        q_lo, q_hi = korn_graubard(
            q, se * n_pop / random_part, float(part.height), dfree, confidence
        )
        lo, hi = base + q_lo * random_part / n_pop, base + q_hi * random_part / n_pop
    else:
        lo = hi = base
    return RateEstimate(
        region,
        level,
        "comprehensive_incidence",
        est,
        lo,
        hi,
        se,
        deff,
        part.height,
        dfree,
        "Korn-Graubard",
        note=(
            f"农村人口{n_pop}，未脱贫人口{pop.registered_not_exited}，"
            f"已脱贫人口{pop.exited}，非建档立卡人口{pop.non_registered}"
        ),
    )


# --- the missed rate over the whole sampled villages ------------------------------------------


def sampled_villages(
    findings: pl.DataFrame,
    populations: Mapping[str, Population],
    plan_villages: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """The sampled villages for the village reading of the missed rate, and notes.

    Columns: code, stratum, weight (1/π of the village from the plan; 1 without a plan, so the
    sampled villages count alike), non_registered (village 户籍人口 − registered people, from
    `populations`, the registry counts per village). The villages are the plan's (`code`,
    `stratum`, `village_prob`, as survey.PlanDesign.villages) or, without a plan, those of the
    surveyed households. A village without a population in the registry is left out and named
    in the notes.
    """
    notes: list[str] = []
    if plan_villages is not None:
        base = plan_villages.select(
            pl.col("code").cast(pl.Utf8),
            pl.col("stratum").cast(pl.Utf8),
            (1.0 / pl.col("village_prob").cast(pl.Float64)).alias("weight"),
        )
    else:
        base = (
            findings.group_by("region_code", maintain_order=True)
            .agg(pl.col("stratum").drop_nulls().first())
            .select(
                pl.col("region_code").alias("code"),
                pl.col("stratum").cast(pl.Utf8),
                pl.lit(1.0).alias("weight"),
            )
        )
        notes.append("未提供抽样方案：漏评率按调查涉及的村计算，各村权重相同")
    known = [c for c in base["code"].to_list() if c in populations]
    absent = [c for c in base["code"].to_list() if c not in populations]
    if absent:
        notes.append(
            "以下抽中村没有户籍人口数据，未计入按村计算的漏评率：" + "、".join(sorted(absent))
        )
    frame = base.filter(pl.col("code").is_in(known)).with_columns(
        non_registered=pl.col("code")
        .replace_strict({c: populations[c].non_registered for c in known}, default=0)
        .cast(pl.Int64)
    )
    return frame, notes


def _village_rows(df: pl.DataFrame, villages: pl.DataFrame, levels: Sequence[str]) -> pl.DataFrame:
    """One row per sampled village: missed people found there (_mi_num, unweighted: the
    survey of missed people in a sampled village is a full one) and its non-registered people
    (_mi_den), with the village's weight, stratum and cluster in the households' design."""
    found = df.group_by("region_code").agg(_mi_num=pl.col("_mi_num").sum())
    county = pl.col("code").str.slice(0, 6)
    out = (
        villages.join(found, left_on="code", right_on="region_code", how="left")
        .with_columns(
            region_code=pl.col("code"),
            _mi_num=pl.col("_mi_num").fill_null(0.0).cast(pl.Float64),
            _mi_den=pl.col("non_registered").cast(pl.Float64),
            _w=pl.col("weight").cast(pl.Float64),
            _stratum=pl.concat_str([county, pl.col("stratum").fill_null("")], separator="/"),
        )
        .with_columns(_psu=pl.concat_str([pl.col("_stratum"), pl.col("code")], separator="/"))
    )
    return out.with_columns(
        [
            pl.concat_str(
                [pl.col("code").str.slice(0, _KEEP[lv]), pl.lit("0" * (12 - _KEEP[lv]))]
            ).alias(f"_r_{lv}")
            for lv in levels
        ]
    ).select(
        "region_code",
        "_w",
        "_stratum",
        "_psu",
        "_mi_num",
        "_mi_den",
        *[f"_r_{lv}" for lv in levels],
    )


def _missed_over_villages(
    villages: pl.DataFrame, region: str, level: str, n_households: int, confidence: float
) -> RateEstimate | None:
    """漏评率 = Σ w_v·M_v ÷ Σ w_v·N_v over the region's sampled villages (M_v missed people
    found in village v, N_v its non-registered rural people, w_v its design weight), with the
    Taylor variance of a ratio, villages as clusters, and a Korn–Graubard interval. A single
    village is a full count: its rate is M/N with the Clopper–Pearson interval of M in N."""
    den = float(villages["_mi_den"].sum())
    if villages.height == 0 or den <= 0:
        return None
    num = float(villages["_mi_num"].sum())
    note = f"抽中村{villages.height}个，非建档立卡人口{int(den)}，发现漏评人口{int(num)}"
    if villages.height == 1:
        est = num / den
        lo, hi = clopper_pearson(num, den, confidence)
        return RateEstimate(
            region, level, "missed_rate", est, lo, hi, 0.0, None, n_households, 0,
            "Clopper-Pearson", note=note,
        )  # fmt: skip
    sample, _ = _svy_sample(villages.select("_w", "_stratum", "_psu", "_mi_num", "_mi_den"))
    est, se, deff = _svy_ratios(sample, ["missed_rate"])["missed_rate"]
    dfree = max(villages.height - villages["_stratum"].n_unique(), 1)
    lo, hi = korn_graubard(est, se, den, dfree, confidence)
    return RateEstimate(
        region, level, "missed_rate", est, lo, hi, se, deff, n_households, dfree,
        "Korn-Graubard", note=note,
    )  # fmt: skip
