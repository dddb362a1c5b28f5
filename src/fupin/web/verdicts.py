"""The exit verdict and gap list of one household, from the engine, on the latest snapshot.

The engine evaluates frozen data (DESIGN: every figure names its snapshot), so the household
file shows the verdict of the most recent snapshot under the exit policy of the household's
province; with no snapshot or no policy it shows “尚未评估”.
"""

from __future__ import annotations

import datetime as dt
import logging

import pyarrow as pa
from django.conf import settings

log = logging.getLogger(__name__)

# Exit policy by province prefix; FUPIN_EXIT_POLICY in settings overrides it for all.
PROVINCE_POLICIES = {"53": "yunnan-2017", "34": "anhui-2018"}
DEFAULT_POLICY = "national-2016"


def policy_for(region_code: str) -> str:
    override = getattr(settings, "FUPIN_EXIT_POLICY", "")
    return override or PROVINCE_POLICIES.get(region_code[:2], DEFAULT_POLICY)


def latest_snapshot() -> dict | None:
    try:
        from fupin.registry.freezing import list_snapshots
    except ImportError:
        return None
    snapshots = list_snapshots()
    return snapshots[-1] if snapshots else None


def stored_verdict(household_id: str) -> dict | None:
    """The verdict stored by the last `refresh`, in the shape of household_verdict (no criteria
    table): cheap, for pages; None when the household has not been evaluated that way."""
    from fupin.web.models import ExitVerdict

    v = ExitVerdict.objects.filter(household_id=household_id).first()
    if v is None:
        return None
    policy = _policy(v.policy)
    names = {c.id: c.name for c in policy.criteria.get("household", ())} if policy else {}
    return {
        "state": "已评估",
        "reason": "",
        "stored": True,
        "snapshot": v.snapshot,
        "policy": {"id": v.policy, "name": policy.name if policy else v.policy},
        "verdict": v.verdict,
        "passed": v.passed,
        "per_capita_net_income": round(v.per_capita_net_income, 2)
        if v.per_capita_net_income is not None
        else None,
        "gaps": [g for g in v.gaps.split("；") if g],
        "failed_names": [names.get(c, c) for c in v.failed_criteria.split(";") if c],
        "unknown_names": [names.get(c, c) for c in v.unknown_criteria.split(";") if c],
        "criteria": [],
    }


def household_verdict(household_id: str, region_code: str, *, explain: bool = False) -> dict:
    """{"state": "尚未评估"|"已评估"|"评估失败", "reason": str, ...explain_household's fields}.

    The stored verdict of the last evaluation when there is one (fast); with `explain`, or
    when there is none, the engine explains the household on the latest snapshot, criterion
    by criterion.
    """
    if not explain:
        stored = stored_verdict(household_id)
        if stored is not None:
            return stored
    snapshot = latest_snapshot()
    if snapshot is None:
        return {"state": "尚未评估", "reason": "尚无冻结的数据快照（运行 fupin freeze 后评估）"}
    try:
        from fupin.engine.exit_evaluation import explain_household
    except ImportError:
        return {"state": "尚未评估", "reason": "评估引擎尚未安装"}
    policy = policy_for(region_code)
    try:
        result = explain_household(
            str(snapshot["id"]), policy, household_id, dt.date.fromisoformat(str(snapshot["as_of"]))
        )
    except Exception as exc:  # a broken snapshot or policy must not take the page down
        log.exception("explain_household failed for %s", household_id)
        return {"state": "评估失败", "reason": str(exc)}
    if result is None:
        return {
            "state": "尚未评估",
            "reason": f"快照{snapshot['id']}（{snapshot['as_of']}）中没有这一户",
        }
    return {"state": "已评估", "reason": "", "snapshot": snapshot["id"], **result}


def _policy(policy_id: str):
    try:
        from fupin.engine.policy.loading import load_policy

        return load_policy(policy_id)
    except Exception:
        return None


def criterion_names(policy_id: str, level: str = "household") -> dict[str, str]:
    policy = _policy(policy_id)
    if policy is None:
        return {}
    return {c.id: c.name for c in policy.criteria.get(level, ())}


def region_verdict(code: str) -> dict | None:
    """The stored verdict of a village or county, with its failed and unknown criteria named."""
    from fupin.web.models import RegionVerdict

    v = RegionVerdict.objects.filter(region_code=code).first()
    if v is None:
        return None
    names = criterion_names(v.policy, "village" if v.level == "村" else "county")

    def named(text: str) -> list[str]:
        return [names.get(c, c) for c in text.split(";") if c]

    return {
        "v": v,
        "failed": named(v.failed_criteria),
        "unknown": named(v.unknown_criteria),
        "gaps": [g for g in v.gaps.split("；") if g],
    }


# the engine's result columns stored as they are (text with '' for NULL, passed never NULL)
_HOUSEHOLD_COLUMNS = (
    "household_id",
    "region_code",
    "status",
    "passed",
    "verdict",
    "failed_criteria",
    "unknown_criteria",
    "gaps",
    "per_capita_net_income",
)
_REGION_COLUMNS = (
    "region_code",
    "passed",
    "verdict",
    "failed_criteria",
    "unknown_criteria",
    "gaps",
    "incidence",
)
_STORED_AS = {
    "passed": "COALESCE(passed, FALSE)",
    "per_capita_net_income": "per_capita_net_income",
    "incidence": "incidence",
}


def _rows(
    table: pa.Table, columns: tuple[str, ...], prefixes: set[str], constants: tuple[object, ...]
) -> list[tuple]:
    """The rows of `table` in the given provinces (first two digits of region_code), as tuples
    of `columns` followed by `constants`, made by DuckDB (no Python object per result row
    before the database driver's)."""
    from fupin.engine.duckdb_executor import shared_connection

    picked = [_STORED_AS.get(c, f"COALESCE({c}, '')") for c in columns]
    marks = ", ".join("?" for _ in constants)
    con = shared_connection()
    try:
        con.register("_fupin_results", table)
        return con.execute(
            f"SELECT {', '.join(picked)}, {marks} FROM _fupin_results "
            "WHERE substr(region_code, 1, 2) IN (SELECT unnest(?::VARCHAR[]))",
            [*constants, sorted(prefixes)],
        ).fetchall()
    finally:
        con.close()


def refresh(snapshot_id: str | None = None) -> dict[str, int]:
    """Evaluate every household of a snapshot (the latest by default) and store the verdicts.

    Each province's households are judged by its own exit policy (policy_for). Returns the
    number of households stored per policy. The whole evaluation runs in the engine (SQL on
    DuckDB); this only copies its household table into ExitVerdict for the pages.
    """
    from django.db import transaction
    from django.utils import timezone

    from fupin.engine.exit_evaluation import evaluate
    from fupin.registry.writing import db_datetime, insert_rows
    from fupin.web.models import ExitVerdict, RegionVerdict

    snapshot = latest_snapshot() if snapshot_id is None else {"id": snapshot_id}
    if snapshot is None:
        raise ValueError("尚无冻结的数据快照，请先运行 fupin freeze")
    if "as_of" not in snapshot:
        from fupin.registry.freezing import list_snapshots

        found = [s for s in list_snapshots() if s["id"] == snapshot_id]
        if not found:
            raise ValueError(f"找不到快照{snapshot_id}")
        snapshot = found[0]
    as_of = dt.date.fromisoformat(str(snapshot["as_of"]))
    from fupin.registry.models import Region

    provinces = {
        code[:2] for code in Region.objects.filter(level="省").values_list("code", flat=True)
    }
    by_policy: dict[str, set[str]] = {}
    for prefix in provinces:
        by_policy.setdefault(policy_for(prefix.ljust(12, "0")), set()).add(prefix)
    counts: dict[str, int] = {}
    households: list[tuple] = []
    regions: list[tuple] = []
    # as text: DuckDB, which builds the rows, would need pytz for an aware datetime; both
    # databases read '2026-12-06 05:40:00.123456+00:00' (and SQLite gets Django's own form)
    evaluated_at = str(db_datetime(timezone.now()))
    for policy_id, prefixes in sorted(by_policy.items()):
        results = evaluate(str(snapshot["id"]), policy_id, as_of)
        common = (str(snapshot["id"]), policy_id)
        found = _rows(results.households, _HOUSEHOLD_COLUMNS, prefixes, (*common, evaluated_at))
        counts[policy_id] = len(found)
        households += found
        for level, table in (("村", results.villages), ("县", results.counties)):
            regions += _rows(table, _REGION_COLUMNS, prefixes, (*common, level))
    with transaction.atomic():
        ExitVerdict.objects.all().delete()
        insert_rows(
            ExitVerdict._meta.db_table,
            [*_HOUSEHOLD_COLUMNS, "snapshot", "policy", "evaluated_at"],
            households,
        )
        RegionVerdict.objects.all().delete()
        insert_rows(
            RegionVerdict._meta.db_table, [*_REGION_COLUMNS, "snapshot", "policy", "level"], regions
        )
    return counts
