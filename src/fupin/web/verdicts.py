"""The exit verdict and gap list of one household, from the engine, on the latest snapshot.

The engine evaluates frozen data (DESIGN: every figure names its snapshot), so the household
file shows the verdict of the most recent snapshot under the exit policy of the household's
province; with no snapshot or no policy it shows “尚未评估”.
"""

from __future__ import annotations

import datetime as dt
import logging

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


def household_verdict(household_id: str, region_code: str) -> dict:
    """{"state": "尚未评估"|"已评估"|"评估失败", "reason": str, ...explain_household's fields}."""
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
