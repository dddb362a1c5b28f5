"""Monitoring rules of policies/monitoring-2018.yaml over a data set in DuckDB (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from fupin.engine.dataset import open_dataset
from fupin.engine.monitoring.policy import MonitoringPolicyError, load_monitoring_policy
from fupin.engine.monitoring.scan import scan
from tests.monitoring import county
from tests.registry import dataset

AS_OF = dt.date(2018, 6, 1)
POLICY_FILE = Path(__file__).resolve().parents[2] / "src/fupin/policies/monitoring-2018.yaml"


@pytest.fixture(scope="module")
def policy():
    return load_monitoring_policy()


def policy_with(tmp_path: Path, **changes) -> Path:
    """A copy of the monitoring policy with some parameters or rules changed."""
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    for name, value in changes.items():
        if name == "rules":
            data["criteria"]["household"] = value
        else:
            data["parameters"][name]["value"] = value
    path = tmp_path / "monitoring-2018.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def edited_county(tmp_path: Path, **by_household: dict[str, str]) -> Path:
    data = county.rows()
    for h in data["households"]:
        h.update(by_household.get(h["household_id"], {}))
    return dataset.write(tmp_path / "edited", data)


class TestRules:
    def test_the_rules_raise_exactly_the_planted_drop_illness_and_disaster(self, tmp_path, policy):
        con = open_dataset(county.write(tmp_path / "c"))
        hits = scan(con, policy, as_of=AS_OF)
        assert {(h.household_id, h.risk_type) for h in hits} == set(county.PLANTED.items())

    def test_a_county_without_planted_risks_raises_nobody(self, tmp_path, policy):
        con = open_dataset(county.write(tmp_path / "c", planted=False))
        assert scan(con, policy, as_of=AS_OF) == []

    def test_each_hit_names_its_rule_and_the_values_that_raised_it(self, tmp_path, policy):
        con = open_dataset(county.write(tmp_path / "c"))
        drop = next(h for h in scan(con, policy, as_of=AS_OF) if h.household_id == county.DROP)
        assert drop.rule_id == "income_near_line"
        assert ("人均纯收入", "3900") in drop.values
        assert "接近扶贫标准" in drop.explanation()

    def test_the_income_margin_is_a_parameter_of_the_policy(self, tmp_path):
        # 3,900 yuan per head is under 1.5 × 3,200 = 4,800 but over 1.2 × 3,200 = 3,840
        con = open_dataset(county.write(tmp_path / "c"))
        narrow = load_monitoring_policy(policy_with(tmp_path, income_margin=1.2))
        assert county.DROP not in {h.household_id for h in scan(con, narrow, as_of=AS_OF)}

    def test_a_household_living_mostly_on_transfers_is_raised(self, tmp_path, policy):
        # net 24,000 + 6,000 − 1,200 + 30,000 transfers: transfers are more than half
        path = edited_county(tmp_path, S0005={"transfer_income": "30000"})
        hits = scan(open_dataset(path), policy, as_of=AS_OF)
        assert ("S0005", "转移性收入占比过高") in {(h.household_id, h.risk_type) for h in hits}

    def test_medical_costs_above_the_share_of_income_are_a_rigid_expense_risk(
        self, tmp_path, policy
    ):
        # net income 28,800: 30 % is 8,640; 9,000 is above, 8,000 is not
        path = edited_county(
            tmp_path,
            S0006={"medical_out_of_pocket": "9000"},
            S0007={"medical_out_of_pocket": "8000"},
            S0008={"education_burden": "9000"},
        )
        raised = {
            (h.household_id, h.risk_type) for h in scan(open_dataset(path), policy, as_of=AS_OF)
        }
        assert ("S0006", "医疗支出") in raised
        assert not any(h == "S0007" for h, _ in raised)
        assert ("S0008", "教育支出") in raised

    def test_households_not_yet_exited_are_not_monitoring_objects(self, tmp_path, policy):
        con = open_dataset(county.write(tmp_path / "c"))
        raised = {h.household_id for h in scan(con, policy, as_of=AS_OF)}
        assert {"P0001", "P0002"}.isdisjoint(raised)

    def test_the_scan_can_be_limited_to_a_township(self, tmp_path, policy):
        con = open_dataset(county.write(tmp_path / "c"))
        hits = scan(con, policy, as_of=AS_OF, region=county.TOWN_A)
        assert {h.household_id for h in hits} == {county.DROP}

    def test_a_rule_that_smuggles_sql_is_refused_when_the_policy_loads(self, tmp_path):
        rules = [
            {
                "id": "bad",
                "name": "坏规则",
                "dimension": "收入下降",
                "expression": "status = '已脱贫'; DROP TABLE households",
                "source": {"seed": "x", "item": "1"},
            }
        ]
        with pytest.raises(MonitoringPolicyError, match="多条语句"):
            load_monitoring_policy(policy_with(tmp_path, rules=rules))

    def test_a_rule_naming_an_unknown_field_or_value_is_refused(self, tmp_path):
        for expression, message in (
            ("salary < 100", "未知的字段或参数“salary”"),
            ("housing_grade = 'E'", "取值“E”不存在"),
            ("read_csv('x') > 0", "不允许的函数"),
        ):
            rules = [
                {
                    "id": "bad",
                    "name": "坏规则",
                    "dimension": "收入下降",
                    "expression": expression,
                    "source": {"seed": "x", "item": "1"},
                }
            ]
            with pytest.raises(MonitoringPolicyError, match=message):
                load_monitoring_policy(policy_with(tmp_path, rules=rules))

    def test_every_rule_and_parameter_cites_a_seed_document(self, policy):
        assert all(r.source.seed.endswith(".txt") for r in policy.rules)
        assert all(p.source is not None for p in policy.parameters.values())

    def test_the_policy_file_is_also_a_valid_policy_for_the_shared_loader(self):
        from fupin.engine.policy.loading import load_policy

        shared = load_policy("monitoring-2018")
        assert [c.id for c in shared.level("household")] == [
            r.id for r in load_monitoring_policy().rules
        ]
