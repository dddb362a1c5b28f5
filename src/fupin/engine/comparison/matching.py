"""Matching department roster rows to registry members.

Two stages, per roster:

1. **Exact**: the normalised ID number of the roster row equals a registry member's. Method
   `exact`, probability 1.
2. **Probabilistic**: registry members and roster rows left over from stage 1 are compared
   with a Fellegi–Sunter model run by Splink on DuckDB. Comparisons: the name (same
   characters; same pinyin, for homophones such as 王丽/王莉; one character edited), the birth
   date (same; month and day transposed; one digit off), the sex, the ID number (one or two
   characters off while one of the two fails the check, as a mistyped or corrupted ID does)
   and the address (the roster address names the registry village or township). Candidate
   pairs come from blocking rules on birth date, transposed birth date, pinyin and ID
   fragments, so their number grows about linearly with the data. Two IDs that both pass the
   GB 11643 check and differ belong to two people (the check character catches every single
   mistyped character and every swap of neighbours), so such a pair is never a candidate:
   only a row or member whose ID is missing or fails the check can be paired with an ID it
   does not equal. Each roster row keeps its best candidate; a pair at or above `threshold`
   is a match (method `probabilistic`), one between `review_low` and `threshold` goes to the
   review list instead.

The m and u probabilities are fixed priors written below (the error rates a clerk's typing and
a department's records have, and how often two different people share a value), not trained
on the data: rosters are often small and EM on a few hundred leftovers is unstable. The prior
that two random records match is set from the sizes of the two leftover sets.

Tables written to the connection (`<r>` is the roster name, e.g. roster_medical):
  cmp_members    one row per registry member: member_key, ids, names, region names, birth date
  match_<r>      row_number, member_key, method, match_probability, match_weight
  review_<r>     row_number, member_key, match_probability, match_weight (near-threshold pairs)
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

__all__ = [
    "MatchSettings",
    "MatchStats",
    "match_roster",
    "name_keys",
    "pinyin_of",
    "prepare_registry",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchSettings:
    threshold: float = 0.9  # match probability from which a probabilistic pair is a match
    review_low: float = 0.3  # pairs from here up to the threshold go to the review list
    probabilistic: bool = True  # False: exact stage only
    count_pairs: bool = False  # count the blocked candidate pairs (an extra join; for tests)


@dataclass
class MatchStats:
    roster: str
    rows: int = 0
    exact: int = 0
    probabilistic: int = 0
    review: int = 0
    invalid_ids: int = 0
    candidate_pairs: int = 0
    seconds_exact: float = 0.0
    seconds_probabilistic: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return self.exact + self.probabilistic

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "matched": self.matched,
            "exact": self.exact,
            "probabilistic": self.probabilistic,
            "review": self.review,
            "invalid_ids": self.invalid_ids,
            "match_rate": round(self.match_rate, 4),
        }


# --- Chinese names -------------------------------------------------------------------------


def pinyin_of(name: str) -> str:
    """Toneless pinyin of a name, syllables joined by spaces (王丽 and 王莉 both: wang li)."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))


def name_keys(con: duckdb.DuckDBPyConnection, source_sql: str, table: str) -> None:
    """Create `table`(name, name_pinyin) for the distinct names of `source_sql` (a query with a
    `name` column). Pinyin is computed once per distinct name, in Python: pypinyin is the one
    dictionary of readings that handles polyphonic characters in names."""
    names = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT name FROM ({source_sql}) WHERE name IS NOT NULL"
        ).fetchall()
    ]
    arrow = pa.table(
        {
            "name": pa.array(names, pa.string()),
            "name_pinyin": pa.array([pinyin_of(n) for n in names], pa.string()),
        }
    )
    con.register("_name_keys", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _name_keys")
    finally:
        con.unregister("_name_keys")


_NORMALISE_ID = (
    "NULLIF(UPPER(REPLACE(REPLACE(TRIM(CAST({c} AS VARCHAR)), ' ', ''), '\u3000', '')), '')"
)


def _norm_id(column: str) -> str:
    return _NORMALISE_ID.format(c=column)


def id_check_sql(c: str) -> str:
    """A SQL test that a normalised ID passes the check of GB 11643: 18 characters, 17 digits
    and a digit or X, and the ISO 7064 MOD 11-2 check character. The digits are taken from one
    integer cast, which DuckDB computes far faster than 17 substrings."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    number = f"TRY_CAST(SUBSTR({c}, 1, 17) AS BIGINT)"
    total = " + ".join(f"({number} // {10 ** (16 - i)} % 10) * {w}" for i, w in enumerate(weights))
    return (
        f"COALESCE(LENGTH({c}) = 18 AND REGEXP_FULL_MATCH({c}, '[0-9]{{17}}[0-9X]') "
        f"AND SUBSTR('10X98765432', CAST(({total}) % 11 AS INTEGER) + 1, 1) = SUBSTR({c}, 18, 1), FALSE)"
    )


def id_valid_sql(c: str) -> str:
    """A SQL test of a normalised ID (GB 11643): it passes the check (`id_check_sql`) and its
    digits 7-14 are a real birth date."""
    return (
        f"({id_check_sql(c)} AND COALESCE(TRY_STRPTIME(SUBSTR({c}, 7, 8), '%Y%m%d') IS NOT NULL, "
        "FALSE))"
    )


def prepare_registry(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int:
    """Create `cmp_members`, one row per registry member with what matching and the rules need;
    returns the number of members."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE cmp_members AS
        WITH m AS (
            SELECT *, {_norm_id("id_number")} AS id_norm,
                   ROW_NUMBER() OVER () AS member_key
            FROM members
        )
        SELECT m.*,
               h.region_code,
               v.name AS village_name,
               t.name AS township_name,
               c.name AS county_name
        FROM m
        LEFT JOIN households h USING (household_id)
        LEFT JOIN regions v ON v.code = h.region_code
        LEFT JOIN regions t ON t.code = SUBSTR(h.region_code, 1, 9) || '000'
        LEFT JOIN regions c ON c.code = SUBSTR(h.region_code, 1, 6) || '000000'
        """
    )
    row = con.execute("SELECT COUNT(*) FROM cmp_members").fetchall()[0]
    return int(row[0]) if row else 0


# --- the model -----------------------------------------------------------------------------


def _level(sql: str, label: str, m: float, u: float, *, null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    else:
        level["m_probability"] = m
        level["u_probability"] = u
    return level


COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "name",
        "comparison_levels": [
            _level("name_l IS NULL OR name_r IS NULL", "姓名缺失", 0, 0, null=True),
            _level("name_l = name_r", "姓名相同", 0.88, 0.001),
            _level("name_pinyin_l = name_pinyin_r", "姓名同音", 0.05, 0.002),
            _level("levenshtein(name_l, name_r) <= 1", "姓名差一个字", 0.05, 0.02),
            _level("ELSE", "姓名不同", 0.02, 0.977),
        ],
    },
    {
        "output_column_name": "birth_date",
        "comparison_levels": [
            _level("birth_l IS NULL OR birth_r IS NULL", "出生日期缺失", 0, 0, null=True),
            _level("birth_l = birth_r", "出生日期相同", 0.93, 0.00004),
            _level("birth_swapped_l = birth_r", "出生月日颠倒", 0.03, 0.00004),
            _level("levenshtein(birth_l, birth_r) <= 1", "出生日期差一位", 0.03, 0.001),
            _level("ELSE", "出生日期不同", 0.01, 0.99896),
        ],
    },
    {
        "output_column_name": "sex",
        "comparison_levels": [
            _level("sex_l IS NULL OR sex_r IS NULL", "性别缺失", 0, 0, null=True),
            _level("sex_l = sex_r", "性别相同", 0.99, 0.5),
            _level("ELSE", "性别不同", 0.01, 0.5),
        ],
    },
    {
        "output_column_name": "id_number",
        "comparison_levels": [
            _level("id_l IS NULL OR id_r IS NULL", "身份证号缺失", 0, 0, null=True),
            _level(
                "NOT (id_valid_l AND id_valid_r) AND LENGTH(id_l) = LENGTH(id_r) "
                "AND levenshtein(id_l, id_r) <= 2",
                "一方身份证号无效且差一两位",
                0.75,
                0.0000001,
            ),
            _level("NOT (id_valid_l AND id_valid_r)", "一方身份证号无效", 0.248, 0.05),
            # both valid and different: kept out by the blocking rules (TWO_CHECKED_IDS_DIFFER)
            _level("ELSE", "身份证号不同", 0.002, 0.9499999),
        ],
    },
    {
        "output_column_name": "address",
        "comparison_levels": [
            _level("address_r IS NULL OR village_l IS NULL", "地址缺失", 0, 0, null=True),
            _level("contains(address_r, village_l)", "地址含同一村", 0.8, 0.002),
            _level(
                "township_l IS NOT NULL AND contains(address_r, township_l)",
                "地址含同一乡镇",
                0.15,
                0.05,
            ),
            _level("ELSE", "地址不同", 0.05, 0.948),
        ],
    },
]

# Two people, never a pair: both IDs pass the MOD 11-2 check of GB 11643 and differ. The check
# character catches every single mistyped character and every swap of two neighbours, so one
# checked ID cannot be a typing error of another; alike names and birth dates (namesakes born
# the same day are common in a county) do not change that. Only a pair where at least one ID
# is missing or fails the check can be the same person under a mistyped ID.
TWO_CHECKED_IDS_DIFFER = "(l.id_checked AND r.id_checked AND l.id <> r.id)"

# Candidate pairs: the same birth date (or transposed) with the same surname or given name in
# pinyin, the same name in pinyin born the same year, or the ID sharing its first 14 or last 8
# characters; each without the pairs of two checked IDs that differ. Each key is selective
# enough (birth date x surname, ID fragments) that a roster row meets a handful of candidates,
# whatever the size of the registry.
BLOCKING_RULES = [
    f"{rule} AND NOT {TWO_CHECKED_IDS_DIFFER}"
    for rule in (
        "l.birth_block = r.birth_block AND l.surname = r.surname",
        "l.birth_block = r.birth_block AND l.given = r.given",
        "l.birth_swapped_block = r.birth_block AND l.surname = r.surname",
        "l.name_pinyin = r.name_pinyin AND SUBSTR(l.birth_block, 1, 4) = SUBSTR(r.birth_block, 1, 4)",
        "SUBSTR(l.id, 1, 14) = SUBSTR(r.id, 1, 14)",
        "SUBSTR(l.id, 11, 8) = SUBSTR(r.id, 11, 8)",
    )
]


def _side_sql(source: str, *, registry: bool) -> str:
    """Columns both sides of the model share, from `source` (cmp_members or a roster)."""
    if registry:
        birth = "STRFTIME(s.birth_date, '%Y%m%d')"
        village, township, address = "s.village_name", "s.township_name", "NULL"
        key, valid = "s.member_key", id_valid_sql("s.id_norm")
        ident = "s.id_norm"
    else:
        ident = _norm_id("s.id_number")
        # a roster without a birth date column still carries it in the ID digits
        from_id = f"CASE WHEN TRY_STRPTIME(SUBSTR({ident}, 7, 8), '%Y%m%d') IS NOT NULL THEN SUBSTR({ident}, 7, 8) END"
        birth = f"COALESCE(STRFTIME(s.birth_date, '%Y%m%d'), {from_id})"
        village, township, address = "NULL", "NULL", "s.address"
        key, valid = "s.row_number", "COALESCE(s.id_valid, FALSE)"
    sex_from_id = (
        f"CASE WHEN REGEXP_FULL_MATCH(SUBSTR({ident}, 17, 1), '[0-9]') THEN "
        f"CASE WHEN CAST(SUBSTR({ident}, 17, 1) AS INTEGER) % 2 = 1 THEN '男' ELSE '女' END END"
    )
    return f"""
        SELECT {key} AS unique_id, s.name, k.name_pinyin,
               SPLIT_PART(k.name_pinyin, ' ', 1) AS surname,
               NULLIF(SUBSTR(k.name_pinyin, STRPOS(k.name_pinyin, ' ') + 1), k.name_pinyin) AS given,
               b.birth AS birth, b.birth AS birth_block,
               CASE WHEN b.birth IS NOT NULL THEN SUBSTR(b.birth, 1, 4) || SUBSTR(b.birth, 7, 2) || SUBSTR(b.birth, 5, 2) END AS birth_swapped,
               CASE WHEN b.birth IS NOT NULL THEN SUBSTR(b.birth, 1, 4) || SUBSTR(b.birth, 7, 2) || SUBSTR(b.birth, 5, 2) END AS birth_swapped_block,
               COALESCE(s.sex, {sex_from_id}) AS sex,
               {ident} AS id, {valid} AS id_valid, {id_check_sql(ident)} AS id_checked,
               {village} AS village, {township} AS township, {address} AS address
        FROM {source} s
        CROSS JOIN LATERAL (SELECT {birth} AS birth) b
        LEFT JOIN _cmp_names k ON k.name = s.name
    """


def match_roster(
    con: duckdb.DuckDBPyConnection, roster: str, settings: MatchSettings | None = None
) -> MatchStats:
    """Match the rows of the roster table `roster` to `cmp_members` (see `prepare_registry`)."""
    settings = settings or MatchSettings()
    stats = MatchStats(roster)
    started = time.perf_counter()
    con.execute(
        f"""
        CREATE OR REPLACE TABLE match_{roster} AS
        SELECT r.row_number, m.member_key, 'exact' AS method,
               1.0::DOUBLE AS match_probability, NULL::DOUBLE AS match_weight
        FROM {roster} r JOIN cmp_members m ON m.id_norm = {_norm_id("r.id_number")}
        """
    )
    con.execute(
        f"CREATE OR REPLACE TABLE review_{roster} (row_number BIGINT, member_key BIGINT, "
        "match_probability DOUBLE, match_weight DOUBLE)"
    )
    counts = con.execute(
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT id_valid), "
        f"(SELECT COUNT(*) FROM match_{roster}) FROM {roster}"
    ).fetchall()[0]
    assert counts is not None
    stats.rows, stats.invalid_ids, stats.exact = int(counts[0]), int(counts[1]), int(counts[2])
    stats.seconds_exact = time.perf_counter() - started
    if not settings.probabilistic:
        return stats
    started = time.perf_counter()
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cmp_right_src AS
        SELECT * FROM {roster} r WHERE NOT EXISTS
            (SELECT 1 FROM match_{roster} x WHERE x.row_number = r.row_number)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cmp_left_src AS
        SELECT * FROM cmp_members m WHERE NOT EXISTS
            (SELECT 1 FROM match_{roster} x WHERE x.member_key = m.member_key)
        """
    )
    n_right = _count(con, "_cmp_right_src")
    n_left = _count(con, "_cmp_left_src")
    if n_right and n_left:
        name_keys(
            con,
            "SELECT name FROM _cmp_right_src UNION SELECT name FROM _cmp_left_src",
            "_cmp_names",
        )
        con.execute(
            f"CREATE OR REPLACE TABLE _cmp_left AS {_side_sql('_cmp_left_src', registry=True)}"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE _cmp_right AS {_side_sql('_cmp_right_src', registry=False)}"
        )
        if settings.count_pairs:
            stats.candidate_pairs = count_candidate_pairs(con)
        predictions = _predict_splink(con, n_left, n_right, settings)
        stats.extra["scored_pairs"] = _count(con, predictions)
        _keep_best(con, roster, predictions, settings)
        con.execute(f"DROP TABLE IF EXISTS {predictions}")
    counts = con.execute(
        f"SELECT COUNT(*) FILTER (WHERE method = 'probabilistic'), "
        f"(SELECT COUNT(*) FROM review_{roster}) FROM match_{roster}"
    ).fetchall()[0]
    assert counts is not None
    stats.probabilistic, stats.review = int(counts[0]), int(counts[1])
    stats.seconds_probabilistic = time.perf_counter() - started
    return stats


def count_candidate_pairs(con: duckdb.DuckDBPyConnection) -> int:
    """The number of distinct pairs the blocking rules let through (the pairs the model
    compares), for the leftovers of the roster being matched."""
    pairs = " UNION ".join(
        f"SELECT l.unique_id AS a, r.unique_id AS b FROM _cmp_left l JOIN _cmp_right r ON {rule}"
        for rule in BLOCKING_RULES
    )
    return _count(con, f"({pairs})")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT COUNT(*) FROM {table}").fetchall()[0]
    return int(row[0]) if row else 0


def _prior(n_left: int, n_right: int) -> float:
    # at most min(n) true pairs among n_left * n_right; assume most leftovers on the smaller
    # side have their counterpart (the dangerous direction: it favours finding a match)
    return min(0.5, min(n_left, n_right) / (n_left * n_right))


def _predict_splink(
    con: duckdb.DuckDBPyConnection, n_left: int, n_right: int, settings: MatchSettings
) -> str:
    """Score the blocked pairs with Splink; the name of the table of scored pairs."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI(connection=con)
    left = db_api.register("_cmp_left", table_name="registry")
    right = db_api.register("_cmp_right", table_name="roster")
    model = {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": _prior(n_left, n_right),
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": BLOCKING_RULES,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
    }
    linker = Linker([left, right], model, log_level=None)
    scored = linker.inference.predict(
        threshold_match_probability=settings.review_low, warning_mode="never"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cmp_scored AS
        SELECT CASE WHEN source_dataset_l = 'registry' THEN unique_id_l ELSE unique_id_r END AS member_key,
               CASE WHEN source_dataset_l = 'registry' THEN unique_id_r ELSE unique_id_l END AS row_number,
               match_probability, match_weight
        FROM {scored.physical_name}
        """
    )
    scored.drop_table_from_database_and_remove_from_cache()
    return "_cmp_scored"


def _keep_best(
    con: duckdb.DuckDBPyConnection, roster: str, scored: str, settings: MatchSettings
) -> None:
    """Each roster row's best candidate: a match at or above the threshold, a review item below.
    A best candidate tied with another (two people equally likely) goes to review."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cmp_best AS
        SELECT *, COUNT(*) OVER (PARTITION BY row_number, match_probability) AS tied
        FROM {scored}
        QUALIFY RANK() OVER (PARTITION BY row_number ORDER BY match_probability DESC) = 1
        """
    )
    con.execute(
        f"""
        INSERT INTO match_{roster}
        SELECT row_number, member_key, 'probabilistic', match_probability, match_weight
        FROM _cmp_best WHERE match_probability >= {settings.threshold} AND tied = 1
        """
    )
    con.execute(
        f"""
        INSERT INTO review_{roster}
        SELECT row_number, member_key, match_probability, match_weight
        FROM _cmp_best WHERE match_probability < {settings.threshold} OR tied > 1
        """
    )


def match_weight(probability: float) -> float:
    """log2 of the odds: the weight a match probability corresponds to."""
    probability = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(probability / (1 - probability))
