"""One county of synthetic data: households, members, measures, rosters and the planted errors.

Everything is computed on numpy arrays for the whole county at once and turned into Arrow
string columns in canonical form (what `fupin.engine.values.format_value` writes), so that a
county of a hundred thousand people takes a fraction of a second and never a Python loop per
person. Python loops run only over the planted errors, which are rare.

People of a county are of two kinds: members of registered (建档立卡) households, and a sample
of the rest of the rural population, who appear only in the department rosters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from fupin.engine import idcard
from fupin.engine.generate import data
from fupin.engine.generate.regions import VILLAGE_WEIGHT, County
from fupin.engine.standard_format import (
    ATTRIBUTES,
    CAUSES,
    EDUCATION_LEVELS,
    HOUSEHOLDS,
    LABOR_ABILITIES,
    MEASURE_KINDS,
    MEASURES,
    MEMBERS,
    RELATIONS,
    ROSTER_BUSINESS,
    ROSTER_CIVIL,
    ROSTER_DISABLED,
    ROSTER_HOUSING,
    ROSTER_MEDICAL,
    ROSTER_PENSION,
    ROSTER_PUBLIC_EMPLOYEES,
    ROSTER_STUDENTS,
    ROSTER_VEHICLES,
    SCHOOL_STATUSES,
    STATUSES,
    VILLAGES,
    WORK_STATUSES,
    Table,
)

Arr = npt.NDArray[Any]

# Non-registered households sampled into the rosters, per registered household.
NON_REGISTERED_RATIO = 0.5

# Planting rates (share of candidates); each kind is planted at least once per county when
# the county has a candidate.
RATES = {
    "dropout": 0.03,  # of registered children aged 6-15
    "uninsured_medical": 0.01,  # of registered members
    "pension_gap": 0.02,  # of registered members aged 16+ not in school
    "dibao_not_registered": 0.03,  # of non-registered households
    "dibao_flag_mismatch": 0.02,  # of registered households
    "danger_house": 0.015,  # of registered households
    "disabled_mismatch": 0.005,  # of registered members without 残疾
    "wrongly_listed": 0.01,  # of registered households
    "id_invalid": 0.004,  # of registered people's roster records
    "name_typo": 0.008,
    "birth_transposed": 0.004,
}
# Registry-only situations (no roster): helpers with more households than the cap, exited
# households below the exit standard.
REGISTRY_KINDS = ("helper_over_cap", "wrong_exit")
PLANTED_KINDS = tuple(RATES) + REGISTRY_KINDS
PLANTED_FIELDS = ("kind", "roster", "household_id", "id_number", "detail")

# Household templates: roles of the members, head age range, weight.
H, S, C, SON, DIL, GC, FA, MO, P, SIB = range(10)
TEMPLATES: tuple[tuple[tuple[int, ...], int, int, float], ...] = (
    ((H,), 35, 88, 0.10),
    ((H, S), 40, 82, 0.11),
    ((H, C), 30, 60, 0.045),
    ((H, P), 25, 55, 0.025),
    ((H, S, C), 25, 60, 0.14),
    ((H, C, C), 30, 55, 0.035),
    ((H, S, P), 25, 50, 0.02),
    ((H, S, GC), 50, 75, 0.025),
    ((H, S, C, C), 28, 55, 0.14),
    ((H, S, C, P), 28, 50, 0.045),
    ((H, S, GC, GC), 50, 75, 0.045),
    ((H, S, C, C, C), 30, 55, 0.05),
    ((H, S, C, C, P), 30, 50, 0.045),
    ((H, S, SON, DIL, GC), 48, 72, 0.055),
    ((H, S, C, C, FA, MO), 30, 50, 0.035),
    ((H, S, SON, DIL, GC, GC), 48, 72, 0.045),
    ((H, S, C, C, C, FA, MO), 32, 50, 0.016),
    ((H, S, SON, DIL, GC, GC, C), 48, 68, 0.024),
    ((H, S, SIB), 25, 60, 0.005),
)

_TPL_SIZE = np.array([len(t[0]) for t in TEMPLATES])
_TPL_ROLES = np.array([t[0] + (-1,) * (7 - len(t[0])) for t in TEMPLATES])
_TPL_LO = np.array([t[1] for t in TEMPLATES])
_TPL_HI = np.array([t[2] for t in TEMPLATES])
_TPL_P = np.array([t[3] for t in TEMPLATES]) / sum(t[3] for t in TEMPLATES)

# School status (index into SCHOOL_STATUSES) by age: (first age, last age, probabilities).
_SCHOOL_BY_AGE: tuple[tuple[int, int, tuple[float, ...]], ...] = (
    (0, 2, (1,)),
    (3, 5, (0.2, 0.8)),
    (6, 6, (0, 0.15, 0.85)),
    (7, 11, (0, 0, 1)),
    (12, 12, (0, 0, 0.4, 0.6)),
    (13, 14, (0, 0, 0, 1)),
    (15, 15, (0, 0, 0, 0.6, 0.25, 0.15)),
    (16, 18, (0.3, 0, 0, 0, 0.45, 0.25)),
    (19, 22, (0.74, 0, 0, 0, 0, 0, 0.08, 0.08, 0.10)),
    (23, 200, (1,)),
)
COMPULSORY_AGES = (6, 15)  # 义务教育阶段, ages in full years on the reference date
PENSION_AGE = 16  # 城乡居民基本养老保险: from 16, students excepted
PENSION_PAYOUT_AGE = 60
HELPER_CAP = 5  # households a helper (帮扶责任人) may be responsible for

_SURNAME_W = 1.0 / (np.arange(len(data.SURNAMES)) + 8.0)
_SURNAME_W /= _SURNAME_W.sum()

_PHONE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        157,
        158,
        159,
        177,
        180,
        182,
        187,
        188,
        189,
    ]
)


# --- small helpers ---------------------------------------------------------------------------


def labels(idx: Arr, values: Sequence[str]) -> pa.Array:
    """The strings values[idx] as an Arrow column (decoding a dictionary is the fast way)."""
    indices = pa.array(np.asarray(idx, dtype=np.int32))
    dictionary = pa.array(list(values), pa.string())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def const(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def ints(a: Arr) -> pa.Array:
    return pa.array(np.asarray(a, dtype=np.int64)).cast(pa.string())


def bools(mask: Arr) -> pa.Array:
    return labels(np.where(mask, 0, 1), ["是", "否"])


def join(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def tenths(a: Arr) -> pa.Array:
    """A number given in tenths, canonical decimal text: 15 -> 1.5, 20 -> 2."""
    a = np.asarray(a, dtype=np.int64)
    whole = ints(a // 10)
    frac = labels(a % 10, ["", ".1", ".2", ".3", ".4", ".5", ".6", ".7", ".8", ".9"])
    return join(whole, frac)


def choose(rng: np.random.Generator, probs: Arr, n: int) -> Arr:
    return rng.choice(len(probs), size=n, p=probs)


def choose_rows(rng: np.random.Generator, group: Arr, table: Arr) -> Arr:
    """For each element a category drawn from the probability row table[group]."""
    cum = np.cumsum(table, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(group))
    return np.asarray((u[:, None] > cum[group]).sum(axis=1), dtype=np.int64)


def uniform(rng: np.random.Generator, lo: Arr | int, hi: Arr | int, n: int) -> Arr:
    """Whole numbers between lo and hi inclusive (arrays or scalars)."""
    lo_a = np.asarray(lo, dtype=np.int64)
    hi_a = np.asarray(hi, dtype=np.int64)
    return lo_a + np.floor(rng.random(n) * (hi_a - lo_a + 1)).astype(np.int64)


def how_many(rng: np.random.Generator, candidates: int, rate: float) -> int:
    if candidates <= 0:
        return 0
    return int(min(candidates, max(1, rng.binomial(candidates, rate))))


def pick(rng: np.random.Generator, candidates: Arr, rate: float) -> Arr:
    """A sorted random subset of candidates, at least one when there is any."""
    k = how_many(rng, len(candidates), rate)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(candidates, size=k, replace=False))


def table_of(t: Table, cols: dict[str, pa.Array]) -> pa.Table:
    return pa.table([cols[name] for name in t.field_names], names=list(t.field_names))


def _padded(values: Sequence[Sequence[float]], width: int) -> Arr:
    out = np.zeros((len(values), width))
    for i, row in enumerate(values):
        out[i, : len(row)] = row
    return out


@dataclass
class Planted:
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, kind: str, roster: str, household_id: str, id_number: str, detail: str) -> None:
        self.rows.append((kind, roster, household_id, id_number, detail))


@dataclass
class CountyData:
    tables: dict[str, pa.Table]
    planted: list[tuple[str, str, str, str, str]]
    village_population: Arr
    members: int


# --- the county ------------------------------------------------------------------------------


def make_county(
    county: County,
    households: int,
    year: int,
    rng: np.random.Generator,
    *,
    rosters: bool = True,
    used_names: set[str] | None = None,
) -> CountyData:
    """All rows of one county; see the module docstring.

    `used_names`: helper names already given in other counties (updated here), so that a
    helper's name identifies the helper in the whole data set.
    """
    g = _People(county, households, year, rng, set() if used_names is None else used_names)
    g.draw_households()
    g.draw_people()
    g.draw_school_health_work()
    g.plant_member_errors()
    g.draw_household_facts()
    g.plant_wrong_exits()
    tables = {
        "households": g.households_table(),
        "members": g.members_table(),
        "measures": g.measures_table(),
        "villages": g.villages_table(),
    }
    if rosters:
        tables.update(g.roster_tables())
    return CountyData(tables, g.planted.rows, g.village_population(), int(g.reg.sum()))


class _People:
    def __init__(
        self,
        county: County,
        households: int,
        year: int,
        rng: np.random.Generator,
        used_names: set[str],
    ) -> None:
        self.used_names = used_names
        self.c = county
        self.year = year
        self.rng = rng
        self.n_reg_h = households
        self.planted = Planted()

    # households and their people

    def draw_households(self) -> None:
        rng, c = self.rng, self.c
        n_villages = len(c.village_codes)
        w = np.array(VILLAGE_WEIGHT)[c.village_flag]
        reg_v = rng.choice(n_villages, size=self.n_reg_h, p=w / w.sum())
        n_non = int(round(self.n_reg_h * NON_REGISTERED_RATIO))
        non_v = rng.integers(n_villages, size=n_non)
        hv = np.concatenate([reg_v, non_v])
        is_reg = np.concatenate([np.ones(self.n_reg_h, bool), np.zeros(n_non, bool)])
        order = np.lexsort((rng.random(len(hv)), hv))
        self.hv = hv[order]
        self.h_reg = is_reg[order]
        nh = len(hv)
        self.nh = nh
        self.tpl = choose(rng, _TPL_P, nh)
        self.size = _TPL_SIZE[self.tpl]
        self.head_age = uniform(rng, _TPL_LO[self.tpl], _TPL_HI[self.tpl], nh)
        self.son_age = self.head_age - uniform(rng, 20, 28, nh)
        self.head_male = rng.random(nh) < np.where(self.h_reg, 0.85, 0.8)
        # household ids: county prefix + 7-digit serial, in village order
        serial = np.cumsum(self.h_reg)
        self.h_id = join(const(c.prefix, nh), pc.utf8_lpad(ints(serial), 7, "0"))
        self.h_group = uniform(rng, 1, 10, nh)
        town = c.village_township[self.hv]
        addr = join(
            const(c.province_name + c.city.name + c.name, nh),
            labels(town, c.township_names),
            labels(self.hv, c.village_names),
            ints(self.h_group),
            const("组", nh),
        )
        self.h_address = addr

    def draw_people(self) -> None:
        rng, year = self.rng, self.year
        size = self.size
        n = int(size.sum())
        self.n = n
        hh = np.repeat(np.arange(self.nh), size)
        self.start = np.concatenate([[0], np.cumsum(size)[:-1]])
        slot = np.arange(n) - self.start[hh]
        role = _TPL_ROLES[self.tpl[hh], slot]
        self.hh, self.role = hh, role
        self.reg = self.h_reg[hh]
        h_age = self.head_age[hh]
        son = self.son_age[hh]
        age = np.select(
            [
                role == H,
                role == S,
                role == C,
                role == SON,
                role == DIL,
                role == GC,
                np.isin(role, (FA, MO, P)),
                role == SIB,
            ],
            [
                h_age,
                np.clip(h_age + uniform(rng, -6, 6, n), 18, 98),
                h_age - uniform(rng, 20, np.minimum(38, h_age), n),
                son,
                np.clip(son + uniform(rng, -3, 3, n), 18, 98),
                son - uniform(rng, 20, np.minimum(32, np.maximum(son, 20)), n),
                np.clip(h_age + uniform(rng, 20, 32, n), 0, 97),
                np.clip(h_age + uniform(rng, -8, 8, n), 16, 97),
            ],
        )
        age = np.maximum(age, 0)
        self.age = age
        head_male = self.head_male[hh]
        coin = rng.random(n) < 0.52
        male = np.select(
            [role == H, role == S, np.isin(role, (SON, FA)), np.isin(role, (DIL, MO))],
            [head_male, ~head_male, True, False],
            coin,
        )
        self.male = male
        rel_names = {r: RELATIONS.index(r) for r in RELATIONS}
        self.relation = np.select(
            [
                role == H,
                role == S,
                np.isin(role, (C, SON)) & male,
                np.isin(role, (C, SON)) & ~male,
                role == DIL,
                (role == GC) & male,
                (role == GC) & ~male,
                np.isin(role, (FA, P)) & male,
                np.isin(role, (MO, P)) & ~male,
            ],
            [
                rel_names["户主"],
                rel_names["配偶"],
                rel_names["之子"],
                rel_names["之女"],
                rel_names["之儿媳"],
                rel_names["之孙子"],
                rel_names["之孙女"],
                rel_names["之父"],
                rel_names["之母"],
            ],
            rel_names["之兄弟姐妹"],
        )
        # surnames: the head's, the husband's (children take it) or a stranger's
        ns = len(data.SURNAMES)
        head_sn = rng.choice(ns, size=self.nh, p=_SURNAME_W)
        husband_sn = rng.choice(ns, size=self.nh, p=_SURNAME_W)
        own_sn = rng.choice(ns, size=n, p=_SURNAME_W)
        family = np.where(self.head_male, head_sn, husband_sn)[hh]
        hs = head_sn[hh]
        surname = np.select(
            [
                role == H,
                (role == S) & ~head_male,
                np.isin(role, (C, SON, GC)),
                np.isin(role, (FA, SIB)),
                (role == P) & male,
            ],
            [hs, husband_sn[hh], family, hs, hs],
            own_sn,
        )
        first = np.where(
            male,
            rng.integers(len(data.MALE_CHARS), size=n),
            len(data.MALE_CHARS) + rng.integers(len(data.FEMALE_CHARS), size=n),
        )
        second = np.where(
            male,
            rng.integers(len(data.MALE_CHARS), size=n),
            len(data.MALE_CHARS) + rng.integers(len(data.FEMALE_CHARS), size=n),
        )
        chars = list(data.MALE_CHARS + data.FEMALE_CHARS)
        two = rng.random(n) < 0.8
        self.name = join(
            labels(surname, list(data.SURNAMES)),
            labels(first, chars),
            labels(np.where(two, second, len(chars)), chars + [""]),
        )
        # birth dates: age in full years on 31 December of the data year
        birth_year = year - age
        start = (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        days = (
            (birth_year + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - start
        ).astype(np.int64)
        birth = start + np.floor(rng.random(n) * days).astype(np.int64)
        self.birth = birth
        month = (birth.astype("datetime64[M]") - birth.astype("datetime64[Y]")).astype(np.int64) + 1
        day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
        self.b_month, self.b_day = month, day
        self.ids = self._id_numbers(birth_year, month, day)

    def _id_numbers(self, birth_year: Arr, month: Arr, day: Arr) -> pa.Array:
        """Valid, unique resident IDs: sequence codes are unique per birth date and sex."""
        rng, n = self.rng, self.n
        key = self.birth.astype(np.int64) * 2 + self.male
        order = np.argsort(key, kind="stable")
        sk = key[order]
        first = np.ones(n, bool)
        first[1:] = sk[1:] != sk[:-1]
        group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        rank = np.arange(n) - group_start
        # spread over the 499 codes of a sex: a random start and a random step (499 is prime,
        # so the first 499 people of a group get distinct codes)
        if n and int(rank.max()) > 498:
            raise ValueError("too many people born on one day in one county")
        offset = rng.integers(0, 499, size=n)[group_start]
        step = rng.integers(1, 499, size=n)[group_start]
        index = (offset + rank * step) % 499
        seq_sorted = 2 * index + np.where(self.male[order], 1, 2)
        seq = np.empty(n, dtype=np.int64)
        seq[order] = seq_sorted
        self.seq = seq
        prefix = int(self.c.prefix) * 10**11 + (birth_year * 10000 + month * 100 + day) * 1000 + seq
        total = np.zeros(n, dtype=np.int64)
        rest = prefix.copy()
        for i in range(16, -1, -1):
            total += (rest % 10) * idcard.WEIGHTS[i]
            rest //= 10
        return join(ints(prefix), labels(total % 11, list(idcard.CHECK_CHARS)))

    def draw_school_health_work(self) -> None:
        rng, n, age = self.rng, self.n, self.age
        bands = np.zeros(n, dtype=np.int64)
        for b, (lo, hi, _) in enumerate(_SCHOOL_BY_AGE):
            bands[(age >= lo) & (age <= hi)] = b
        table = _padded([p for _, _, p in _SCHOOL_BY_AGE], len(SCHOOL_STATUSES))
        self.school = choose_rows(rng, bands, table)  # the truth
        self.registry_school = self.school.copy()  # what the registry says
        # health: chronic, serious illness, disability
        child = age < 16
        p_chronic = np.where(child, 0.01, 0.04 + 0.004 * np.maximum(age - 20, 0))
        p_serious = np.where(child, 0.005, 0.03 + 0.0005 * age)
        p_disabled = np.where(child, 0.015, 0.06)
        p_disabled = np.where(self.reg, p_disabled, 0.02)
        self.chronic = rng.random(n) < p_chronic
        self.serious = rng.random(n) < p_serious
        self.disabled = rng.random(n) < p_disabled
        # education level
        ebands = np.select(
            [age <= 5, age <= 12, age <= 15, age <= 22, age <= 39, age <= 59], [0, 1, 2, 3, 4, 5], 6
        )
        etable = _padded(
            [
                (0, 0, 0, 0, 0, 1),
                (0, 1),
                (0, 0, 1),
                (0, 0.1, 0.7, 0.2),
                (0, 0.2, 0.55, 0.15, 0.1),
                (0.15, 0.45, 0.35, 0.05),
                (0.45, 0.45, 0.1),
            ],
            len(EDUCATION_LEVELS),
        )
        self.out_of_school_level = choose_rows(rng, ebands, etable)
        # labour
        weak_body = self.serious | self.disabled
        lab_band = np.select(
            [
                (age < 16) | (self.school > 0),
                age >= 70,
                weak_body,
                age >= 60,
                self.chronic,
            ],
            [0, 1, 2, 3, 4],
            5,
        )
        lab_table = _padded(
            [
                (0, 0, 0, 0, 1),  # 无劳动力
                (0, 0, 0.4, 0.6),
                (0, 0, 0.5, 0.5),
                (0.3, 0, 0.7),
                (0.4, 0, 0.6),
                (0.8, 0.2),
            ],
            len(LABOR_ABILITIES),
        )
        self.labor = choose_rows(rng, lab_band, lab_table)
        can_work = (self.labor <= 2) & (age >= 16) & (age <= 64)
        wband = np.where(can_work, np.where(self.labor == 2, 1, 2), 0)
        wtable = _padded(
            [(1,), (0.7, 0.15, 0.15), (0.3, 0.15, 0.15, 0.15, 0.25)], len(WORK_STATUSES)
        )
        self.work = choose_rows(rng, wband, wtable)
        self.work_months = np.where(self.work > 0, uniform(rng, 3, 12, n), 0)
        self.medical = np.ones(n, bool)  # the registry's flags, changed by planting
        self.pension_eligible = (age >= PENSION_AGE) & (self.school == 0)
        self.pension = self.pension_eligible.copy()

    # planting of member-level errors that change the registry

    def plant_member_errors(self) -> None:
        rng = self.rng
        reg = self.reg
        lo, hi = COMPULSORY_AGES
        kids = np.flatnonzero(reg & (self.age >= lo) & (self.age <= hi))
        self.dropouts = pick(rng, kids, RATES["dropout"])
        # 0: roster 辍学, registry 非在校生; 1: roster 辍学, registry still in school;
        # 2: no roster record, registry 非在校生
        self.dropout_variant = choose(rng, np.array([0.4, 0.3, 0.3]), len(self.dropouts))
        self.dropout_school = self.school[self.dropouts].copy()
        self.school[self.dropouts] = 0
        stale = self.dropouts[self.dropout_variant == 1]
        self.registry_school[self.dropouts] = 0
        self.registry_school[stale] = self.dropout_school[self.dropout_variant == 1]
        self.uninsured = pick(rng, np.flatnonzero(reg), RATES["uninsured_medical"])
        self.uninsured_says_insured = rng.random(len(self.uninsured)) < 0.5
        self.medical[self.uninsured[~self.uninsured_says_insured]] = False
        eligible = np.flatnonzero(reg & self.pension_eligible)
        self.pension_gaps = pick(rng, eligible, RATES["pension_gap"])
        self.pension_gap_says_insured = rng.random(len(self.pension_gaps)) < 0.5
        self.pension[self.pension_gaps[~self.pension_gap_says_insured]] = False
        not_disabled = np.flatnonzero(reg & ~self.disabled & (self.age >= 3))
        self.disabled_mismatch = pick(rng, not_disabled, RATES["disabled_mismatch"])

    # household facts

    def draw_household_facts(self) -> None:
        rng, nh, year, hh = self.rng, self.nh, self.year, self.hh
        # 因学 needs a pupil or student in the registry (学前教育 does not count)
        has_student = np.bincount(hh, self.registry_school >= 2, nh) > 0
        has_disabled = np.bincount(hh, self.disabled, nh) > 0
        has_serious = np.bincount(hh, self.serious, nh) > 0
        has_sick = np.bincount(hh, self.chronic | self.serious, nh) > 0
        workers = np.bincount(hh, self.work > 0, nh)
        elderly = np.bincount(hh, self.age >= PENSION_PAYOUT_AGE, nh)
        size = self.size
        # attribute: 0 一般, 1 低保, 2 特困
        p_tekun = np.where((size == 1) & (self.head_age >= 60), 0.5, 0.0)
        p_tekun = np.where((size == 2) & (self.tpl == 1) & (self.head_age >= 65), 0.15, p_tekun)
        # 特困供养 is for people without work ability: nobody of 16-65 able to work
        able = (self.age >= 16) & (self.age <= 65) & (self.labor <= 1)
        p_tekun = np.where(np.bincount(hh, able, nh) > 0, 0.0, p_tekun)
        p_dibao = 0.12 + 0.25 * (has_disabled | has_serious)
        u = rng.random(nh)
        self.attribute = np.where(
            u < p_tekun, 2, np.where(u < p_tekun + (1 - p_tekun) * p_dibao, 1, 0)
        )
        # status: 未脱贫, 已脱贫, 返贫, 清退
        self.status = choose(rng, np.array([0.20, 0.74, 0.02, 0.04]), nh)
        self.identified = np.where(rng.random(nh) < 0.7, 2014, uniform(rng, 2015, year - 1, nh))
        self.exit_year = np.where(
            self.status == 1, uniform(rng, np.maximum(self.identified + 1, 2015), year, nh), 0
        )
        self.policy_ended = (self.status == 1) & (rng.random(nh) < 0.1)
        # causes
        cause_idx = {name: i for i, name in enumerate(CAUSES)}
        general = np.array(
            [0, 0, 0, 0.04, 0.08, 0.04, 0.22, 0.12, 0.22, 0.08, 0.12, 0.02, 0.02, 0.04]
        )
        general = general / general.sum()
        u = rng.random(nh)
        main = np.select(
            [has_disabled & (u < 0.6), has_sick & (u < 0.6), has_student & (u < 0.4)],
            [cause_idx["因残"], cause_idx["因病"], cause_idx["因学"]],
            choose(rng, general, nh),
        )
        self.main_cause = main
        base_w = general + 0.05
        scores = np.log(base_w)[None, :] + rng.gumbel(size=(nh, len(CAUSES)))
        scores[np.arange(nh), main] = -np.inf
        # a cause that names a member's condition only where a member has it
        scores[~has_sick, cause_idx["因病"]] = -np.inf
        scores[~has_disabled, cause_idx["因残"]] = -np.inf
        scores[~has_student, cause_idx["因学"]] = -np.inf
        top = np.argsort(-scores, axis=1)[:, :2]
        k_other = choose(rng, np.array([0.35, 0.4, 0.25]), nh)
        a = np.where(k_other >= 1, top[:, 0], -1)
        b = np.where(k_other >= 2, top[:, 1], -1)
        lo_c, hi_c = np.minimum(a, b), np.maximum(a, b)
        # canonical order: the order of CAUSES
        first = np.where(lo_c >= 0, lo_c, hi_c)
        second = np.where(lo_c >= 0, hi_c, -1)
        self.other_first, self.other_second = first, second
        # housing: grades A B C D = 0..3
        good = rng.choice(2, size=nh, p=[0.45, 0.55])
        any_grade = rng.choice(4, size=nh, p=[0.3, 0.4, 0.2, 0.1])
        self.grade = np.where(np.isin(self.status, (0, 2)), any_grade, good)
        self.relocated = (rng.random(nh) < 0.08) & (self.grade <= 1)
        self.grade = np.where(self.relocated, 0, self.grade)
        self.renovated = (self.grade <= 1) & ~self.relocated & (rng.random(nh) < 0.15)
        self.moved_in = self.relocated & ~((self.status == 0) & (rng.random(nh) < 0.3))
        # relocation: exited households within the limits (self funds <= 10,000, no debt)
        # unless planted; the others anything
        exited_h = self.status == 1
        self.self_funds = np.where(
            self.relocated & (rng.random(nh) < 0.5),
            np.where(exited_h, uniform(rng, 1, 10, nh), uniform(rng, 1, 25, nh)) * 1000,
            0,
        )
        self.debt = np.where(
            self.relocated & ~exited_h & (rng.random(nh) < 0.4),
            uniform(rng, 5, 60, nh) * 1000,
            np.where(self.renovated & (rng.random(nh) < 0.2), uniform(rng, 2, 20, nh) * 1000, 0),
        )
        over = pick(rng, np.flatnonzero(self.h_reg & exited_h & self.relocated), 0.1)
        self.relocation_over = over
        self.self_funds[over] = np.where(
            rng.random(len(over)) < 0.5,
            uniform(rng, 11, 25, len(over)) * 1000,
            self.self_funds[over],
        )
        self.debt[over] = np.where(
            self.self_funds[over] > 10000, self.debt[over], uniform(rng, 5, 60, len(over)) * 1000
        )
        # danger houses: roster C/D behind a registry A/B, or an exited household in a C/D house
        reg_idx = np.flatnonzero(self.h_reg)
        exited = reg_idx[(self.status[reg_idx] == 1) & ~self.relocated[reg_idx]]
        self.danger_exited = pick(self.rng, exited, RATES["danger_house"] / 2)
        self.grade[self.danger_exited] = rng.choice(
            [2, 3], size=len(self.danger_exited), p=[0.7, 0.3]
        )
        self.renovated[self.danger_exited] = False
        hidden = reg_idx[(self.grade[reg_idx] <= 1) & ~self.relocated[reg_idx]]
        self.danger_hidden = pick(self.rng, hidden, RATES["danger_house"] / 2)
        self.roster_grade = self.grade.copy()
        self.roster_grade[self.danger_hidden] = rng.choice(
            [2, 3], size=len(self.danger_hidden), p=[0.7, 0.3]
        )
        # basic needs
        poor_now = self.status == 0
        self.food = ~(poor_now & (rng.random(nh) < 0.05))
        self.clothing = ~(poor_now & (rng.random(nh) < 0.05))
        self.water = ~(poor_now & (rng.random(nh) < 0.08))
        self.piped = rng.random(nh) < 0.85
        self.water_km10 = np.where(
            self.status == 1, uniform(rng, 1, 10, nh), uniform(rng, 1, 25, nh)
        )
        # incomes (yuan per year, whole household)
        dibao_pp = uniform(rng, 20, 35, nh) * 100
        tekun_pp = uniform(rng, 40, 50, nh) * 100
        transfer = (
            np.where(self.attribute == 1, dibao_pp * size, 0)
            + np.where(self.attribute == 2, tekun_pp * size, 0)
            + elderly * uniform(rng, 1080, 1400, nh)
            + uniform(rng, 0, 8, nh) * 100
        )
        pc_exited = 3600 + np.exp(rng.normal(np.log(2500), 0.6, nh))
        pc_poor = uniform(rng, 1500, 3150, nh)
        pc_removed = 5000 + np.exp(rng.normal(np.log(6000), 0.7, nh))
        pc_removed = np.minimum(pc_removed, 60000)
        per_capita = np.select(
            [self.status == 1, self.status == 3], [pc_exited, pc_removed], pc_poor
        )
        total = np.maximum(per_capita * size, transfer)
        rest = total - transfer
        wage_share = np.where(workers > 0, 0.4 + 0.4 * rng.random(nh), 0.05)
        self.wage = np.round(rest * wage_share).astype(np.int64)
        rest2 = rest - self.wage
        business_net = np.round(rest2 * (0.7 + 0.25 * rng.random(nh))).astype(np.int64)
        self.property = np.maximum(np.round(rest2).astype(np.int64) - business_net, 0)
        self.expense = np.round(business_net * (0.2 + 0.4 * rng.random(nh))).astype(np.int64)
        self.expense = np.where(business_net > 0, np.maximum(self.expense, 1), 0)
        self.business = business_net + self.expense
        self.transfer = transfer.astype(np.int64)
        # yearly costs
        per_student = np.array([0, 300, 200, 400, 3000, 1500, 8000, 8000, 12000])
        self.education_burden = (
            np.bincount(hh, per_student[self.school] * (0.5 + rng.random(self.n)), nh)
            .round()
            .astype(np.int64)
        )
        cost = np.where(self.serious, uniform(rng, 2000, 20000, self.n), 0) + np.where(
            self.chronic, uniform(rng, 300, 3000, self.n), 0
        )
        self.medical_cost = np.bincount(hh, cost, nh).round().astype(np.int64)
        self.family_doctor = rng.random(nh) < 0.92
        # exited households meet the standards with a margin: a family doctor, out-of-pocket
        # costs at most 8,000 yuan, and 3,200 yuan a head left after schooling costs
        exited_h = self.status == 1
        self.family_doctor |= exited_h
        self.medical_cost = np.where(
            exited_h, np.minimum(self.medical_cost, 8000), self.medical_cost
        )
        net = self.wage + business_net + self.property + self.transfer
        room = np.maximum(net - 3200 * size, 0)
        self.education_burden = np.where(
            exited_h, np.minimum(self.education_burden, room), self.education_burden
        )
        self.phone_present = rng.random(nh) < 0.8
        self.phone = self._phones(nh)
        # helpers: each helps 1-6 households of the county (6 is over the cap of 5)
        reg_n = len(reg_idx)
        chunk = choose(self.rng, np.array([0.08, 0.17, 0.25, 0.25, 0.2, 0.05]), reg_n) + 1
        chunk = chunk[: int(np.searchsorted(np.cumsum(chunk), reg_n)) + 1]
        helper_of = np.repeat(np.arange(len(chunk)), chunk)[:reg_n]
        n_helpers = len(chunk)
        helper_unit = rng.integers(len(data.HELPER_UNITS), size=n_helpers)
        helper_names = self._helper_names(n_helpers)
        helper_phone = self._phones(n_helpers)
        county_short = self.c.name[:-1] if len(self.c.name) > 2 else self.c.name
        units = [county_short + u for u in data.HELPER_UNITS]
        h_helper = np.zeros(nh, dtype=np.int64)
        h_helper[reg_idx] = helper_of
        self.helper_name = labels(h_helper, helper_names)
        self.helper_unit = labels(helper_unit[h_helper], units)
        self.helper_phone = helper_phone.take(pa.array(h_helper))
        load = np.bincount(helper_of, minlength=n_helpers)
        for h in reg_idx[load[helper_of] > HELPER_CAP]:
            head = int(self.start[h])
            helper = helper_names[int(h_helper[h])]
            self.planted.add(
                "helper_over_cap", "", str(self.h_id[int(h)].as_py()), str(self.ids[head].as_py()),
                f"帮扶责任人{helper}联系{int(load[h_helper[h]])}户，超过{HELPER_CAP}户",
            )  # fmt: skip

    def _helper_names(self, n: int) -> list[str]:
        """Names of helpers, unique in the whole data set (helpers are told apart by name)."""
        rng = self.rng
        chars = data.MALE_CHARS + data.FEMALE_CHARS
        n_male = len(data.MALE_CHARS)
        sn = rng.choice(len(data.SURNAMES), size=n, p=_SURNAME_W)
        male = rng.random(n) < 0.6
        lo = np.where(male, 0, n_male)
        hi = np.where(male, n_male, len(chars))
        c1 = uniform(rng, lo, hi - 1, n)
        c2 = uniform(rng, lo, hi - 1, n)
        names: list[str] = []
        for i in range(n):
            name = data.SURNAMES[sn[i]] + chars[c1[i]] + chars[c2[i]]
            tries = 0
            while name in self.used_names:
                tries += 1
                pool = chars[int(lo[i]) : int(hi[i])]
                width = 2 if tries < 3 else 3
                given = "".join(pool[int(rng.integers(len(pool)))] for _ in range(width))
                name = data.SURNAMES[int(rng.choice(len(data.SURNAMES), p=_SURNAME_W))] + given
            self.used_names.add(name)
            names.append(name)
        return names

    def plant_wrong_exits(self) -> None:
        """One `wrong_exit` row per 已脱贫 household that the registry itself shows below the
        household exit standard: a dropout, a member without medical or pension insurance, a
        C/D house, or relocation self funds over 10,000 yuan or housing debt."""
        hh, nh = self.hh, self.nh
        reg_school = self.registry_school
        lo, hi = COMPULSORY_AGES
        out_of_school = (self.age >= lo) & (self.age <= hi) & (reg_school == 0) & ~self.disabled
        counts = {
            "名{lo}至{hi}岁成员失学": np.bincount(hh, out_of_school, nh),
            "名成员未参加基本医疗保险": np.bincount(hh, ~self.medical, nh),
            "名16岁以上非在校成员未参加养老保险": np.bincount(
                hh, self.pension_eligible & ~self.pension, nh
            ),
        }
        grades = "ABCD"
        exited = np.flatnonzero(self.h_reg & (self.status == 1))
        for h in exited:
            reasons = [
                f"有{int(c[h])}{what.format(lo=lo, hi=hi)}" for what, c in counts.items() if c[h]
            ]
            if self.grade[h] >= 2 and not self.renovated[h]:
                reasons.append(f"住房为{grades[int(self.grade[h])]}级危房")
            if self.relocated[h] and (self.self_funds[h] > 10000 or self.debt[h] > 0):
                reasons.append(
                    f"易地搬迁建房自筹{int(self.self_funds[h])}元、负债{int(self.debt[h])}元"
                )
            if reasons:
                head = int(self.start[h])
                self.planted.add(
                    "wrong_exit", "", str(self.h_id[int(h)].as_py()), str(self.ids[head].as_py()),
                    f"{int(self.exit_year[h])}年标注脱贫，但" + "；".join(reasons),
                )  # fmt: skip

    def _phones(self, n: int) -> pa.Array:
        prefix = _PHONE_PREFIXES[self.rng.integers(len(_PHONE_PREFIXES), size=n)]
        return ints(prefix * 10**8 + self.rng.integers(0, 10**8, size=n))

    # registry tables

    def households_table(self) -> pa.Table:
        idx = np.flatnonzero(self.h_reg)
        take = pa.array(idx)
        heads = self.start[idx]
        n = len(idx)
        cols = {
            "household_id": self.h_id.take(take),
            "region_code": labels(self.hv[idx], self.c.village_codes),
            "group_name": join(ints(self.h_group[idx]), const("组", n)),
            "head_name": self.name.take(pa.array(heads)),
            "head_id_number": self.ids.take(pa.array(heads)),
            "phone": pc.if_else(
                pa.array(self.phone_present[idx]), self.phone.take(take), const("", n)
            ),
            "attribute": labels(self.attribute[idx], ATTRIBUTES),
            "main_cause": labels(self.main_cause[idx], CAUSES),
            "other_causes": self._other_causes(idx),
            "status": labels(self.status[idx], STATUSES),
            "policy_ended": bools(self.policy_ended[idx]),
            "identified_year": ints(self.identified[idx]),
            "exit_year": pc.if_else(
                pa.array(self.status[idx] == 1), ints(self.exit_year[idx]), const("", n)
            ),
            "wage_income": ints(self.wage[idx]),
            "business_income": ints(self.business[idx]),
            "business_expense": ints(self.expense[idx]),
            "property_income": ints(self.property[idx]),
            "transfer_income": ints(self.transfer[idx]),
            "food_secure": bools(self.food[idx]),
            "clothing_secure": bools(self.clothing[idx]),
            "water_safe": bools(self.water[idx]),
            "water_distance_km": pc.if_else(
                pa.array(self.piped[idx]), const("", n), tenths(self.water_km10[idx])
            ),
            "housing_grade": labels(self.grade[idx], ("A", "B", "C", "D")),
            "housing_renovated": bools(self.renovated[idx]),
            "relocated": bools(self.relocated[idx]),
            "relocation_moved_in": labels(
                np.where(self.relocated[idx], np.where(self.moved_in[idx], 0, 1), 2),
                ["是", "否", ""],
            ),
            "relocation_self_funds": ints(self.self_funds[idx]),
            "housing_debt": ints(self.debt[idx]),
            "education_burden": ints(self.education_burden[idx]),
            "medical_out_of_pocket": ints(self.medical_cost[idx]),
            "family_doctor": bools(self.family_doctor[idx]),
            "helper_name": self.helper_name.take(take),
            "helper_unit": self.helper_unit.take(take),
            "helper_phone": self.helper_phone.take(take),
        }
        return table_of(HOUSEHOLDS, cols)

    def _other_causes(self, idx: Arr) -> pa.Array:
        first, second = self.other_first[idx], self.other_second[idx]
        names = list(CAUSES) + [""]
        empty = len(CAUSES)
        sep = labels(np.where(second >= 0, 0, 1), [";", ""])
        return join(
            labels(np.where(first >= 0, first, empty), names),
            sep,
            labels(np.where(second >= 0, second, empty), names),
        )

    def members_table(self) -> pa.Table:
        idx = np.flatnonzero(self.reg)
        take = pa.array(idx)
        hh = self.hh[idx]
        n = len(idx)
        school = self.registry_school[idx]
        level_from_school = np.array([-1, 5, 1, 2, 3, 3, 4, 4, 4])[school]
        dropout_level = np.where(self.age[idx] <= 12, 1, 2)
        level = np.where(
            school > 0,
            level_from_school,
            np.where(
                (self.age[idx] >= 6) & (self.age[idx] <= 15),
                dropout_level,
                self.out_of_school_level[idx],
            ),
        )
        health = self.chronic[idx] * 1 + self.serious[idx] * 2 + self.disabled[idx] * 4
        health_names = [
            "健康",
            "长期慢性病",
            "患有大病",
            "长期慢性病;患有大病",
            "残疾",
            "长期慢性病;残疾",
            "患有大病;残疾",
            "长期慢性病;患有大病;残疾",
        ]
        ethnic = self._ethnicity()
        attr = self.attribute[hh]
        cols = {
            "household_id": self.h_id.take(pa.array(hh)),
            "id_number": self.ids.take(take),
            "name": self.name.take(take),
            "sex": labels(np.where(self.male[idx], 0, 1), ["男", "女"]),
            "birth_date": pa.array(self.birth[idx]).cast(pa.string()),
            "relation": labels(self.relation[idx], RELATIONS),
            "ethnicity": ethnic.take(take),
            "education_level": labels(level, EDUCATION_LEVELS),
            "school_status": labels(school, SCHOOL_STATUSES),
            "health": labels(health, health_names),
            "labor_ability": labels(self.labor[idx], LABOR_ABILITIES),
            "work_status": labels(self.work[idx], WORK_STATUSES),
            "work_months": ints(self.work_months[idx]),
            "medical_insured": bools(self.medical[idx]),
            "critical_illness_insured": bools(self.medical[idx]),
            "pension_insured": bools(self.pension[idx]),
            "dibao": bools(attr == 1),
            "tekun": bools(attr == 2),
        }
        assert n == len(cols["id_number"])
        return table_of(MEMBERS, cols)

    def _ethnicity(self) -> pa.Array:
        minorities = data.ETHNIC_MINORITIES.get(self.c.code[:2], ())
        if not minorities:
            return const("汉族", self.n)
        share = 0.1 + 0.4 * self.rng.random()
        h_eth = np.where(
            self.rng.random(self.nh) < share,
            1 + self.rng.integers(len(minorities), size=self.nh),
            0,
        )
        return labels(h_eth[self.hh], ("汉族",) + minorities)

    def measures_table(self) -> pa.Table:
        rng = self.rng
        idx = np.flatnonzero(self.h_reg)
        nh = len(idx)
        kinds = list(MEASURE_KINDS)
        weight = np.array([data.MEASURES[k][3] for k in kinds])
        scores = np.log(weight)[None, :] + rng.gumbel(size=(nh, len(kinds)))
        forced = {
            "易地搬迁": self.relocated[idx],
            "危房改造": self.renovated[idx],
            "低保兜底": self.attribute[idx] >= 1,
        }
        n_forced = np.zeros(nh, dtype=np.int64)
        for kind, mask in forced.items():
            scores[mask, kinds.index(kind)] += 1000
            n_forced += mask
        k = np.maximum(choose(rng, np.array([0.25, 0.35, 0.25, 0.15]), nh) + 1, n_forced)
        order = np.argsort(-scores, axis=1)
        rows_h = np.repeat(np.arange(nh), k)
        pos = np.arange(len(rows_h)) - np.repeat(np.cumsum(k) - k, k)
        kind = order[rows_h, pos]
        n = len(kind)
        # description: one of the texts of the kind
        texts: list[str] = []
        offsets = []
        for kname in kinds:
            offsets.append(len(texts))
            texts.extend(data.MEASURES[kname][0])
        n_texts = np.array([len(data.MEASURES[kname][0]) for kname in kinds])
        desc = np.array(offsets)[kind] + np.floor(rng.random(n) * n_texts[kind]).astype(np.int64)
        lo = np.array([data.MEASURES[kname][1] for kname in kinds])[kind]
        hi = np.array([data.MEASURES[kname][2] for kname in kinds])[kind]
        amount = (lo + np.floor(rng.random(n) * (hi - lo + 1))).astype(np.int64) // 100 * 100
        first_year = np.maximum(self.identified[idx][rows_h], 2015)
        year = uniform(rng, first_year, self.year, n)
        cols = {
            "household_id": self.h_id.take(pa.array(idx[rows_h])),
            "year": ints(year),
            "kind": labels(kind, kinds),
            "description": labels(desc, texts),
            "amount": ints(amount),
        }
        return table_of(MEASURES, cols)

    def village_population(self) -> Arr:
        rng, c = self.rng, self.c
        nv = len(c.village_codes)
        reg_people = np.bincount(self.hv[self.hh], self.reg, nv)
        all_people = np.bincount(self.hv[self.hh], minlength=nv)
        pop = np.ceil(reg_people / c.village_incidence).astype(np.int64)
        pop = np.where(reg_people == 0, uniform(rng, 800, 3000, nv), pop)
        return np.maximum(pop, all_people + 20)

    def villages_table(self) -> pa.Table:
        rng, c = self.rng, self.c
        nv = len(c.village_codes)
        deep = c.village_flag == 0
        ok = 0.97 - 0.12 * deep

        def flag() -> pa.Array:
            return bools(rng.random(nv) < ok)

        cols = {
            "region_code": pa.array(c.village_codes, pa.string()),
            "road_hardened": flag(),
            "power_10kv": flag(),
            "tv_coverage": tenths(np.where(rng.random(nv) < 0.5, 1000, uniform(rng, 900, 999, nv))),
            "broadband": flag(),
            "water_secure": flag(),
            "clinic_standard": flag(),
            "village_doctors": ints(uniform(rng, 1, 3, nv) - (rng.random(nv) < 0.05 * (1 + deep))),
            "activity_venue": flag(),
            "collective_income": ints(
                np.where(
                    rng.random(nv) < ok,
                    uniform(rng, 20, 300, nv) * 100,
                    uniform(rng, 0, 19, nv) * 100,
                )
            ),
            "leading_industry": flag(),
        }
        return table_of(VILLAGES, cols)

    # department rosters

    def roster_tables(self) -> dict[str, pa.Table]:
        return _Rosters(self).build()


class _Rosters:
    """The department rosters of a county and the errors planted in them."""

    def __init__(self, g: _People) -> None:
        self.g = g
        self.rng = g.rng
        self.planted = g.planted

    def common(self, persons: Arr) -> dict[str, pa.Array]:
        g = self.g
        take = pa.array(persons)
        return {
            "id_number": g.ids.take(take),
            "name": g.name.take(take),
            "sex": labels(np.where(g.male[persons], 0, 1), ["男", "女"]),
            "birth_date": pa.array(g.birth[persons]).cast(pa.string()),
            "address": g.h_address.take(pa.array(g.hh[persons])),
        }

    def hid(self, person: int) -> str:
        g = self.g
        if not g.reg[person]:
            return ""
        return str(g.h_id[int(g.hh[person])].as_py())

    def pid(self, person: int) -> str:
        return str(self.g.ids[person].as_py())

    def pname(self, person: int) -> str:
        return str(self.g.name[person].as_py())

    def build(self) -> dict[str, pa.Table]:
        g = self.g
        out: dict[str, tuple[Table, Arr, dict[str, pa.Array], Arr]] = {}
        # records: (table, persons, extra columns, evidence mask: records that are themselves
        # planted evidence and must not be corrupted further)

        # 教育 学籍: everybody at school, plus dropouts who still have a record (辍学)
        stu_mask = g.school > 0
        with_record = g.dropouts[g.dropout_variant <= 1]
        stu_mask[with_record] = True
        persons = np.flatnonzero(stu_mask)
        status = g.school[persons].copy()
        is_drop = np.isin(persons, with_record)
        drop_pos = np.flatnonzero(is_drop)
        status[drop_pos] = g.dropout_school[np.searchsorted(g.dropouts, persons[drop_pos])]
        out["roster_students"] = (
            ROSTER_STUDENTS,
            persons,
            self._school_columns(persons, status, is_drop),
            is_drop,
        )
        for i, p in enumerate(g.dropouts):
            v = int(g.dropout_variant[i])
            school_name = SCHOOL_STATUSES[int(g.dropout_school[i])]
            detail = (
                f"学籍系统显示辍学（原{school_name}），建档立卡登记为非在校生",
                f"学籍系统显示辍学（原{school_name}），建档立卡仍登记为在校生（{school_name}）",
                f"义务教育阶段（{int(g.age[p])}岁）未在学籍系统中，建档立卡登记为非在校生",
            )[v]
            self.planted.add("dropout", "roster_students", self.hid(p), self.pid(p), detail)

        # 医保 参保: everybody except the uninsured
        med_mask = np.ones(g.n, bool)
        med_mask[g.uninsured] = False
        persons = np.flatnonzero(med_mask)
        n = len(persons)
        out["roster_medical"] = (
            ROSTER_MEDICAL,
            persons,
            {
                "year": const(str(g.year), n),
                "basic": const("是", n),
                "critical_illness": const("是", n),
            },
            np.zeros(n, bool),
        )
        for i, p in enumerate(g.uninsured):
            says = "已参保" if g.uninsured_says_insured[i] else "未参保"
            self.planted.add(
                "uninsured_medical", "roster_medical", self.hid(p), self.pid(p),
                f"医保参保名单中无此人，建档立卡登记为{says}",
            )  # fmt: skip

        # 人社 养老保险: adults not at school, except the gaps
        pen_mask = g.pension_eligible.copy()
        pen_mask[g.pension_gaps] = False
        persons = np.flatnonzero(pen_mask)
        n = len(persons)
        out["roster_pension"] = (
            ROSTER_PENSION,
            persons,
            {
                "year": const(str(g.year), n),
                "status": labels(
                    np.where(g.age[persons] >= PENSION_PAYOUT_AGE, 1, 0), ["参保", "领取待遇"]
                ),
            },
            np.zeros(n, bool),
        )
        for i, p in enumerate(g.pension_gaps):
            says = "已参保" if g.pension_gap_says_insured[i] else "未参保"
            self.planted.add(
                "pension_gap", "roster_pension", self.hid(p), self.pid(p),
                f"{int(g.age[p])}岁，养老保险名单中无此人，建档立卡登记为{says}",
            )  # fmt: skip

        out["roster_civil"] = self._civil()
        out["roster_disabled"] = self._disabled()
        out["roster_housing"] = self._housing()
        wrong = self._wrongly_listed()
        out.update(wrong)

        self._corrupt(out)
        tables: dict[str, pa.Table] = {}
        for name, (table, persons, extra, _) in out.items():
            cols = self.common(persons) if "id_number" not in extra else {}
            cols.update(extra)
            tables[name] = table_of(table, cols)
        return tables

    def _school_columns(self, persons: Arr, status: Arr, dropped: Arr) -> dict[str, pa.Array]:
        g = self.g
        c = g.c
        village = g.hv[g.hh[persons]]
        town = c.village_township[village]
        county = c.name
        town_names = c.township_names
        n = len(persons)
        # school name by status (index into SCHOOL_STATUSES)
        kinder = join(labels(town, town_names), const("中心幼儿园", n))
        primary = join(labels(village, c.village_names), const("小学", n))
        middle = join(labels(town, town_names), const("中学", n))
        high = const(county + "第一中学", n)
        vocational = const(county + "职业高级中学", n)
        college = const(c.city.name[:-1] + "职业技术学院", n)
        university = const(c.province_short + "大学", n)
        choices = [kinder, kinder, primary, middle, high, vocational, college, college, university]
        school = choices[0]
        for s in range(2, len(choices)):
            school = pc.if_else(pa.array(status == s), choices[s], school)
        grade_names = [
            ("小班", "中班", "大班"),
            ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级"),
            ("七年级", "八年级", "九年级"),
            ("高一", "高二", "高三"),
            ("一年级", "二年级", "三年级"),
            ("大一", "大二", "大三"),
            ("大一", "大二", "大三"),
            ("大一", "大二", "大三", "大四"),
        ]
        first_age = np.array([0, 3, 6, 12, 15, 15, 19, 19, 19])
        flat: list[str] = []
        start = np.zeros(len(SCHOOL_STATUSES), dtype=np.int64)
        count = np.ones(len(SCHOOL_STATUSES), dtype=np.int64)
        for s, names in enumerate(grade_names, start=1):
            start[s], count[s] = len(flat), len(names)
            flat.extend(names)
        k = np.clip(g.age[persons] - first_age[status], 0, count[status] - 1)
        grade = labels(start[status] + k, flat)
        enrolment = labels(np.where(dropped, 2, 0), ("在读", "休学", "辍学", "送教上门"))
        return {"school": school, "grade": grade, "enrolment": enrolment}

    def _civil(self) -> tuple[Table, Arr, dict[str, pa.Array], Arr]:
        g, rng = self.g, self.rng
        reg_h = np.flatnonzero(g.h_reg)
        non_h = np.flatnonzero(~g.h_reg)
        # registered 低保/特困 households missing from the roster, 一般 households on it
        on_dibao = reg_h[g.attribute[reg_h] >= 1]
        ordinary = reg_h[g.attribute[reg_h] == 0]
        mismatch = pick(rng, reg_h, RATES["dibao_flag_mismatch"])
        self.missing_civil = mismatch[np.isin(mismatch, on_dibao)]
        self.extra_civil = mismatch[np.isin(mismatch, ordinary)]
        self.hidden_dibao = pick(rng, non_h, RATES["dibao_not_registered"])
        kind_h = np.full(g.nh, -1)
        kind_h[on_dibao] = g.attribute[on_dibao] - 1  # 0 低保, 1 特困
        kind_h[self.missing_civil] = -1
        kind_h[self.extra_civil] = 0
        single_old = (g.size == 1) & (g.head_age >= 60)
        kind_h[self.hidden_dibao] = np.where(single_old[self.hidden_dibao], 1, 0)
        since_h = np.array(
            [np.datetime64(f"{y}-01-01") for y in range(2014, g.year + 1)], dtype="datetime64[D]"
        )
        year_i = uniform(rng, 0, len(since_h) - 1, g.nh)
        since = since_h[year_i] + uniform(rng, 0, 364, g.nh)
        persons = np.flatnonzero(kind_h[g.hh] >= 0)
        hh = g.hh[persons]
        n = len(persons)
        heads = g.start[hh]
        extra = {
            "kind": labels(kind_h[hh], ("低保", "特困")),
            "household_head_id": g.ids.take(pa.array(heads)),
            "since": pa.array(since[hh]).cast(pa.string()),
        }
        evidence = np.isin(hh, self.extra_civil)
        for h in self.missing_civil:
            head = int(g.start[h])
            attr = ATTRIBUTES[int(g.attribute[h])]
            self.planted.add(
                "dibao_flag_mismatch",
                "roster_civil",
                self.hid(head),
                self.pid(head),
                f"建档立卡为{attr}，民政低保特困名单中无此户",
            )
        for h in self.extra_civil:
            head = int(g.start[h])
            self.planted.add(
                "dibao_flag_mismatch",
                "roster_civil",
                self.hid(head),
                self.pid(head),
                "建档立卡为一般贫困户、未享受低保，民政名单显示享受低保",
            )
        for h in self.hidden_dibao:
            head = int(g.start[h])
            kind = ("低保", "特困")[int(kind_h[h])]
            self.planted.add(
                "dibao_not_registered",
                "roster_civil",
                "",
                self.pid(head),
                f"民政{kind}户（{int(g.size[h])}人）未纳入建档立卡",
            )
        assert n == len(extra["kind"])
        return ROSTER_CIVIL, persons, extra, evidence

    def _disabled(self) -> tuple[Table, Arr, dict[str, pa.Array], Arr]:
        g, rng = self.g, self.rng
        mask = g.disabled.copy()
        mask[g.disabled_mismatch] = True
        persons = np.flatnonzero(mask)
        n = len(persons)
        category = rng.choice(
            len(data.DISABILITY_CATEGORIES), size=n, p=[0.45, 0.12, 0.12, 0.04, 0.12, 0.1, 0.05]
        )
        grade = rng.choice(4, size=n, p=[0.12, 0.23, 0.3, 0.35])
        evidence = np.isin(persons, g.disabled_mismatch)
        health_names = ("健康", "长期慢性病", "患有大病", "长期慢性病;患有大病")
        for p in g.disabled_mismatch:
            pos = int(np.searchsorted(persons, p))
            health = health_names[int(g.chronic[p]) + 2 * int(g.serious[p])]
            what = (
                data.DISABILITY_CATEGORIES[int(category[pos])]
                + data.DISABILITY_GRADES[int(grade[pos])]
            )
            self.planted.add(
                "disabled_mismatch",
                "roster_disabled",
                self.hid(p),
                self.pid(p),
                f"残联登记为{what}，建档立卡健康状况为{health}",
            )
        extra = {
            "category": labels(category, data.DISABILITY_CATEGORIES),
            "grade": labels(grade, data.DISABILITY_GRADES),
        }
        return ROSTER_DISABLED, persons, extra, evidence

    def _housing(self) -> tuple[Table, Arr, dict[str, pa.Array], Arr]:
        g, rng = self.g, self.rng
        households = np.arange(g.nh)
        grade = np.where(g.h_reg, g.roster_grade, rng.choice(2, size=g.nh, p=[0.5, 0.5]))
        renovated = np.where(g.h_reg, g.renovated, rng.random(g.nh) < 0.05)
        renovated[g.danger_hidden] = False
        persons = g.start[households]
        evidence = np.zeros(g.nh, bool)
        evidence[g.danger_hidden] = True
        evidence[g.danger_exited] = True
        grades = "ABCD"
        danger = np.concatenate([g.danger_hidden, g.danger_exited])
        for h in np.sort(danger):
            head = int(g.start[h])
            roster = grades[int(grade[h])]
            if h in g.danger_exited:
                detail = (
                    f"住建部门鉴定为{roster}级危房，建档立卡已标注脱贫（{int(g.exit_year[h])}年）"
                )
            else:
                detail = f"住建部门鉴定为{roster}级危房，建档立卡登记为{grades[int(g.grade[h])]}级"
            self.planted.add(
                "danger_house", "roster_housing", self.hid(head), self.pid(head), detail
            )
        extra = {"grade": labels(grade, tuple(grades)), "renovated": bools(renovated)}
        return ROSTER_HOUSING, persons, extra, evidence

    def _wrongly_listed(self) -> dict[str, tuple[Table, Arr, dict[str, pa.Array], Arr]]:
        g, rng = self.g, self.rng
        c = g.c
        reg_h = np.flatnonzero(g.h_reg)
        chosen = pick(rng, reg_h, RATES["wrongly_listed"])
        # one adult (18-65) of each chosen household, if it has one
        adult = (g.age >= 18) & (g.age <= 65)
        suspects: list[int] = []
        for h in chosen:
            members = np.arange(g.start[h], g.start[h] + g.size[h])
            ok = members[adult[members]]
            if len(ok):
                suspects.append(int(ok[int(rng.integers(len(ok)))]))
        suspect_arr = np.array(suspects, dtype=np.int64)
        which = rng.choice(3, size=len(suspect_arr), p=[0.5, 0.3, 0.2])
        # the rest of the population: cars, companies and public jobs are common
        non_h = np.flatnonzero(~g.h_reg)
        non_h = non_h[~np.isin(non_h, self.hidden_dibao)]
        owner_h = [non_h[rng.random(len(non_h)) < p] for p in (0.12, 0.03, 0.02)]
        out: dict[str, tuple[Table, Arr, dict[str, pa.Array], Arr]] = {}
        tables = (ROSTER_VEHICLES, ROSTER_BUSINESS, ROSTER_PUBLIC_EMPLOYEES)
        for k, table in enumerate(tables):
            lo_age, hi_age = ((18, 70), (20, 65), (22, 59))[k]
            people: list[int] = []
            for h in owner_h[k]:
                members = np.arange(g.start[h], g.start[h] + g.size[h])
                ok = members[(g.age[members] >= lo_age) & (g.age[members] <= hi_age)]
                if len(ok):
                    people.append(int(ok[int(rng.integers(len(ok)))]))
            mine = suspect_arr[which == k]
            persons = np.concatenate([np.array(people, dtype=np.int64), mine])
            order = np.argsort(persons, kind="stable")
            persons = persons[order]
            is_suspect = np.isin(persons, mine)
            n = len(persons)
            if k == 0:
                kinds = np.where(
                    is_suspect,
                    rng.integers(len(data.VEHICLE_TYPES_SUSPECT), size=n),
                    len(data.VEHICLE_TYPES_SUSPECT)
                    + rng.integers(len(data.VEHICLE_TYPES_COMMON), size=n),
                )
                type_names = data.VEHICLE_TYPES_SUSPECT + data.VEHICLE_TYPES_COMMON
                plate_chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
                plate_idx = rng.integers(len(plate_chars), size=(n, 5))
                plate = const(c.city.plate + "·", n)
                for j in range(5):
                    plate = join(plate, labels(plate_idx[:, j], list(plate_chars)))
                registered = np.datetime64(f"{g.year - 12}-01-01") + uniform(rng, 0, 365 * 12, n)
                extra = {
                    "plate": plate,
                    "vehicle_type": labels(kinds, type_names),
                    "registered": pa.array(registered).cast(pa.string()),
                }
                detail_of = [
                    f"名下登记{type_names[int(kinds[i])]}（{plate[i].as_py()}）" for i in range(n)
                ]
            elif k == 1:
                ent = rng.integers(len(data.ENTERPRISE_KINDS), size=n)
                word = rng.integers(len(c.village_names), size=n)
                enterprise = join(
                    const(c.name[:-1] if len(c.name) > 2 else c.name, n),
                    pc.utf8_slice_codeunits(labels(word, c.village_names), 0, 2),
                    labels(ent, data.ENTERPRISE_KINDS),
                )
                role = rng.integers(len(data.BUSINESS_ROLES), size=n)
                capital = np.where(
                    is_suspect, uniform(rng, 20, 500, n) * 10000, uniform(rng, 1, 100, n) * 10000
                )
                extra = {
                    "enterprise": enterprise,
                    "role": labels(role, data.BUSINESS_ROLES),
                    "registered_capital": ints(capital),
                }
                detail_of = [
                    f"担任{enterprise[i].as_py()}{data.BUSINESS_ROLES[int(role[i])]}，注册资本{int(capital[i]) // 10000}万元"
                    for i in range(n)
                ]
            else:
                short = c.name[:-1] if len(c.name) > 2 else c.name
                employers = [short + e for e in data.EMPLOYERS]
                emp = rng.integers(len(employers), size=n)
                extra = {"employer": labels(emp, employers)}
                detail_of = [f"财政供养人员，工作单位：{employers[int(emp[i])]}" for i in range(n)]
            for i in np.flatnonzero(is_suspect):
                p = int(persons[i])
                self.planted.add(
                    "wrongly_listed", table.name, self.hid(p), self.pid(p), detail_of[int(i)]
                )
            out[table.name] = (table, persons, extra, is_suspect)
        return out

    def _corrupt(self, out: dict[str, tuple[Table, Arr, dict[str, pa.Array], Arr]]) -> None:
        """Typos in names, corrupted IDs and transposed birth dates in the matched rosters."""
        g, rng = self.g, self.rng
        targets = (
            "roster_students",
            "roster_medical",
            "roster_pension",
            "roster_civil",
            "roster_disabled",
            "roster_housing",
        )
        pool_roster: list[Arr] = []
        pool_pos: list[Arr] = []
        for r, name in enumerate(targets):
            _, persons, _, evidence = out[name]
            pos = np.flatnonzero(g.reg[persons] & ~evidence)
            pool_roster.append(np.full(len(pos), r))
            pool_pos.append(pos)
        roster_of = np.concatenate(pool_roster)
        pos_of = np.concatenate(pool_pos)
        total = len(pos_of)
        perm = rng.permutation(total)
        k_id = how_many(rng, total, RATES["id_invalid"])
        k_name = how_many(rng, total, RATES["name_typo"])
        chosen_id = perm[:k_id]
        chosen_name = perm[k_id : k_id + k_name]
        rest = perm[k_id + k_name :]
        persons_all = [out[name][1] for name in targets]
        pool_person = np.concatenate([persons_all[r][p] for r, p in enumerate(pool_pos)])
        rest_person = pool_person[rest]
        swappable = (g.b_day[rest_person] <= 12) & (g.b_day[rest_person] != g.b_month[rest_person])
        cands = rest[swappable]
        k_birth = how_many(rng, len(cands), RATES["birth_transposed"] * total / max(len(cands), 1))
        chosen_birth = cands[:k_birth]
        changes: dict[tuple[int, str], dict[int, str]] = {}
        planted: list[tuple[int, int, str, int, str]] = []  # roster, pos, kind, person, detail

        def change(i: int, column: str, value: str, kind: str, detail: str) -> None:
            r, pos = int(roster_of[i]), int(pos_of[i])
            person = int(persons_all[r][pos])
            changes.setdefault((r, column), {})[pos] = value
            planted.append((r, pos, kind, person, detail))

        for i in chosen_id:
            person = int(persons_all[int(roster_of[i])][int(pos_of[i])])
            true = self.pid(person)
            how = rng.random()
            if how < 0.35:
                others = [ch for ch in idcard.CHECK_CHARS if ch != true[17]]
                wrong = true[:17] + others[int(rng.integers(len(others)))]
                detail = f"身份证号校验码错误（登记为{wrong}）"
            elif how < 0.7:
                j = self._swap_position(true)
                wrong = true[:j] + true[j + 1] + true[j] + true[j + 2 :]
                detail = f"身份证号第{j + 1}、{j + 2}位颠倒（登记为{wrong}）"
            else:
                wrong = ""
                detail = "身份证号缺失"
            assert wrong == "" or not idcard.is_valid(wrong)
            change(int(i), "id_number", wrong, "id_invalid", detail)
        for i in chosen_name:
            person = int(persons_all[int(roster_of[i])][int(pos_of[i])])
            true = self.pname(person)
            typo = self._typo(true, bool(g.male[person]))
            change(int(i), "name", typo, "name_typo", f"姓名登记为{typo}（建档立卡为{true}）")
        for i in chosen_birth:
            person = int(persons_all[int(roster_of[i])][int(pos_of[i])])
            y, m, d = g.year - int(g.age[person]), int(g.b_month[person]), int(g.b_day[person])
            wrong = f"{y:04d}-{d:02d}-{m:02d}"
            change(
                int(i),
                "birth_date",
                wrong,
                "birth_transposed",
                f"出生日期登记为{wrong}（应为{y:04d}-{m:02d}-{d:02d}）",
            )
        for r, name in enumerate(targets):
            table, persons, extra, evidence = out[name]
            cols = self.common(persons)
            for column in ("id_number", "name", "birth_date"):
                repl = changes.get((r, column))
                if not repl:
                    continue
                positions = sorted(repl)
                mask = np.zeros(len(persons), bool)
                mask[positions] = True
                cols[column] = pc.replace_with_mask(
                    cols[column],
                    pa.array(mask),
                    pa.array([repl[p] for p in positions], pa.string()),
                )
            cols.update(extra)
            out[name] = (table, persons, cols, evidence)
        planted.sort(key=lambda t: (t[2], t[0], t[1]))
        for r, _pos, kind, person, detail in planted:
            self.planted.add(kind, targets[r], self.hid(person), self.pid(person), detail)

    def _swap_position(self, number: str) -> int:
        """A position j (in the first 17 characters) where characters j and j+1 differ."""
        for _ in range(50):
            j = int(self.rng.integers(0, 16))
            if number[j] != number[j + 1]:
                return j
        return next(j for j in range(16) if number[j] != number[j + 1])

    def _typo(self, name: str, male: bool) -> str:
        """A homophone or one changed character of the given name (王丽 -> 王莉)."""
        given = list(range(1, len(name)))
        homophone = [
            j for j in given if name[j] in data.HOMOPHONES and data.HOMOPHONES[name[j]] != name[j]
        ]
        if homophone:
            j = homophone[int(self.rng.integers(len(homophone)))]
            return name[:j] + data.HOMOPHONES[name[j]] + name[j + 1 :]
        j = given[-1]
        pool = data.MALE_CHARS if male else data.FEMALE_CHARS
        while True:
            ch = pool[int(self.rng.integers(len(pool)))]
            if ch != name[j]:
                return name[:j] + ch + name[j + 1 :]
