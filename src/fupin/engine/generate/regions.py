"""The region hierarchy of a generated data set: province, cities, counties, townships, villages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fupin.engine.generate.data import (
    KNOWN_CITIES,
    KNOWN_TOWNSHIPS,
    PLACE_FIRST,
    PLACE_SECOND,
    PROVINCES,
)

Arr = npt.NDArray[Any]

VILLAGE_FLAGS = ("深度贫困村", "贫困村", "非贫困村")
VILLAGE_FLAG_P = (0.15, 0.45, 0.40)
# Relative number of registered households per village, by flag.
VILLAGE_WEIGHT = (3.0, 2.0, 0.6)
# Registered poor population as a share of the rural population, by flag (low, high).
INCIDENCE = ((0.20, 0.30), (0.10, 0.20), (0.02, 0.08))
COUNTY_FLAGS = ("国定贫困县", "省定贫困县", "非贫困县")
MAX_COUNTIES = 700  # generated cities have codes 21-99 with 9 counties each
COUNTY_FLAG_P = (0.6, 0.25, 0.15)


@dataclass
class City:
    code: str  # 12 digits
    name: str
    plate: str  # licence plate prefix, e.g. 云M


@dataclass
class County:
    index: int
    code: str  # 12 digits
    name: str
    flag: str
    city: City
    province_name: str
    province_short: str
    township_codes: list[str]
    township_names: list[str]
    village_codes: list[str]
    village_names: list[str]
    village_township: Arr  # township index of each village
    village_flag: Arr  # index into VILLAGE_FLAGS
    village_incidence: Arr  # registered population / rural population
    # filled in after the county's people are generated
    village_population: Arr = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def prefix(self) -> str:
        """The 6-digit address code that starts the resident IDs of this county."""
        return self.code[:6]


@dataclass
class Province:
    code: str
    name: str
    short: str
    cities: list[City]
    counties: list[County]


def _place_name(rng: np.random.Generator, suffix: str, taken: set[str]) -> str:
    for _ in range(200):
        a = PLACE_FIRST[int(rng.integers(len(PLACE_FIRST)))]
        b = PLACE_SECOND[int(rng.integers(len(PLACE_SECOND)))]
        name = a + b + suffix
        if a != b and name not in taken:
            taken.add(name)
            return name
    name = f"{PLACE_FIRST[int(rng.integers(len(PLACE_FIRST)))]}{len(taken)}{suffix}"
    taken.add(name)
    return name


def villages_for(households_per_county: int) -> int:
    """How many villages a county has: about 50 registered households a village, 4 to 250."""
    return int(np.clip(round(households_per_county / 50), 4, 250))


def build_province(
    code: str, n_counties: int, households_per_county: int, rng: np.random.Generator
) -> Province:
    name, short, plate_char = PROVINCES[code]
    known = KNOWN_CITIES.get(code, [])
    cities: list[City] = []
    counties: list[County] = []
    city_names: set[str] = {c[1] for c in known}
    city_slots: list[tuple[City, list[tuple[str, str]]]] = []
    for city_code, city_name, letter, county_list in known:
        city = City(f"{code}{city_code}00000000", city_name, f"{plate_char}{letter}")
        city_slots.append((city, list(county_list)))
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    next_city = 21
    while sum(len(c) for _, c in city_slots) < n_counties:
        city_name = _place_name(rng, "市", city_names)
        city = City(
            f"{code}{next_city:02d}00000000",
            city_name,
            f"{plate_char}{letters[(next_city - 21) % len(letters)]}",
        )
        county_names: set[str] = set()
        county_list = [(f"{21 + i:02d}", _place_name(rng, "县", county_names)) for i in range(9)]
        city_slots.append((city, county_list))
        next_city += 1
        if next_city > 99 or n_counties > MAX_COUNTIES:
            raise ValueError("一个省最多生成700个县")
    n_villages = villages_for(households_per_county)
    n_townships = int(np.clip(-(-n_villages // 9), 2, 25))
    for city, county_list in city_slots:
        if len(counties) >= n_counties:
            break
        used = False
        for county_code, county_name in county_list:
            if len(counties) >= n_counties:
                break
            full = f"{city.code[:4]}{county_code}000000"
            counties.append(
                _build_county(
                    len(counties),
                    full,
                    county_name,
                    city,
                    name,
                    short,
                    n_townships,
                    n_villages,
                    rng,
                )
            )
            used = True
        if used:
            cities.append(city)
    return Province(f"{code}0000000000", name, short, cities, counties)


def _build_county(
    index: int,
    code: str,
    name: str,
    city: City,
    province_name: str,
    province_short: str,
    n_townships: int,
    n_villages: int,
    rng: np.random.Generator,
) -> County:
    flag = COUNTY_FLAGS[int(rng.choice(3, p=COUNTY_FLAG_P))]
    known = KNOWN_TOWNSHIPS.get(code[:6], [])
    town_names: list[str] = []
    taken: set[str] = set(known)
    for t in range(n_townships):
        if t < len(known):
            town_names.append(known[t])
        else:
            town_names.append(_place_name(rng, "镇" if rng.random() < 0.5 else "乡", taken))
    # 镇 get codes 101.., 乡 get 201.., as the statistical codes do.
    town_codes: list[str] = []
    n_zhen = n_xiang = 0
    for t_name in town_names:
        if t_name.endswith("镇"):
            n_zhen += 1
            town_codes.append(f"{code[:6]}{100 + n_zhen:03d}000")
        else:
            n_xiang += 1
            town_codes.append(f"{code[:6]}{200 + n_xiang:03d}000")
    # every township gets at least one village
    extra = rng.multinomial(n_villages - n_townships, np.full(n_townships, 1.0 / n_townships))
    per_town = extra + 1
    village_township = np.repeat(np.arange(n_townships), per_town)
    v_codes: list[str] = []
    v_names: list[str] = []
    for t in range(n_townships):
        v_taken: set[str] = set()
        for k in range(int(per_town[t])):
            v_codes.append(f"{town_codes[t][:9]}{201 + k:03d}")
            v_names.append(_place_name(rng, "村", v_taken))
    v_flag = rng.choice(3, size=n_villages, p=VILLAGE_FLAG_P)
    lo = np.array([r[0] for r in INCIDENCE])[v_flag]
    hi = np.array([r[1] for r in INCIDENCE])[v_flag]
    incidence = lo + rng.random(n_villages) * (hi - lo)
    return County(
        index=index,
        code=code,
        name=name,
        flag=flag,
        city=city,
        province_name=province_name,
        province_short=province_short,
        township_codes=town_codes,
        township_names=town_names,
        village_codes=v_codes,
        village_names=v_names,
        village_township=village_township,
        village_flag=v_flag,
        village_incidence=incidence,
    )
