"""Sampling plans: stratified πPS villages, households within villages, probabilities recorded,
reproducible from the seed (issue 5, item 1; seed 000 item 17(1)(2), seed 001 三.(一))."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fupin.engine.assessment.reports import read_plan, write_plan_xlsx
from fupin.engine.assessment.sampling import (
    SamplingParams,
    draw_plan,
    inclusion_probabilities,
    load_frame,
    pps_systematic,
)
from fupin.engine.assessment.simulation import synthetic_county
from fupin.engine.dataset import open_dataset


@pytest.fixture(scope="module")
def county():  # type: ignore[no-untyped-def]
    return synthetic_county(11, villages=80)


class TestReproducibility:
    def test_the_same_seed_draws_the_same_plan(self, county) -> None:  # type: ignore[no-untyped-def]
        a = draw_plan(county.frame(), SamplingParams(), seed=42)
        b = draw_plan(county.frame(), SamplingParams(), seed=42)
        assert_frame_equal(a.units, b.units)
        assert_frame_equal(a.villages, b.villages)

    def test_another_seed_draws_another_plan(self, county) -> None:  # type: ignore[no-untyped-def]
        a = draw_plan(county.frame(), SamplingParams(), seed=1)
        b = draw_plan(county.frame(), SamplingParams(), seed=2)
        assert set(a.villages["code"]) != set(b.villages["code"])


class TestThePlan:
    def test_at_least_1000_households_about_half_registered(self, county) -> None:  # type: ignore[no-untyped-def]
        plan = draw_plan(county.frame(), SamplingParams(), seed=3)
        assert plan.units.height >= 1000
        share = plan.units["registered"].mean()
        assert 0.35 < share < 0.6  # type: ignore[operator]
        assert plan.villages.height == 40  # 1000 households ÷ 25 per village

    def test_every_probability_is_recorded_and_the_weight_is_its_inverse(self, county) -> None:  # type: ignore[no-untyped-def]
        u = draw_plan(county.frame(), SamplingParams(), seed=4).units
        assert u["prob"].to_numpy() == pytest.approx(
            (u["village_prob"] * u["household_prob"]).to_numpy()
        )
        assert u["weight"].to_numpy() == pytest.approx(1 / u["prob"].to_numpy())
        assert ((u["prob"] > 0) & (u["prob"] <= 1)).all()
        assert u["stratum"].is_in(["贫困村", "非贫困村"]).all()
        assert (u["cluster"] == u["region_code"]).all()

    def test_both_village_strata_are_sampled(self, county) -> None:  # type: ignore[no-untyped-def]
        v = draw_plan(county.frame(), SamplingParams(), seed=5).villages
        assert set(v["stratum"]) == {"贫困村", "非贫困村"}
        assert (v.group_by("stratum").len()["len"] >= 2).all()

    def test_weak_group_households_are_twice_as_likely_as_others_in_their_village(
        self, county
    ) -> None:  # type: ignore[no-untyped-def]
        u = draw_plan(county.frame(), SamplingParams(), seed=6).units.filter(pl.col("registered"))
        ratios = (
            u.with_columns(weak=pl.col("weak") != "")
            .group_by("region_code", "status_claimed", "weak")
            .agg(pl.col("household_prob").max())
            .pivot(on="weak", index=["region_code", "status_claimed"], values="household_prob")
            .drop_nulls()
            .filter(pl.col("true") < 1)
        )
        assert ratios.height > 5
        assert (ratios["true"] / ratios["false"]).to_numpy() == pytest.approx(2.0)

    def test_remote_villages_have_their_size_doubled(self, county) -> None:  # type: ignore[no-untyped-def]
        v = draw_plan(county.frame(), SamplingParams(), seed=7).villages
        remote = v.filter(pl.col("remote"))
        other = v.filter(~pl.col("remote"))
        assert remote.height > 0
        assert (remote["size_measure"] == 2 * remote["population"]).all()
        assert (other["size_measure"] == other["population"]).all()

    def test_non_registered_households_are_slots_to_enumerate_on_site(self, county) -> None:  # type: ignore[no-untyped-def]
        plan = draw_plan(county.frame(), SamplingParams(), seed=8)
        slots = plan.units.filter(~pl.col("registered"))
        assert (slots["household_id"] == "").all()
        assert slots["unit_id"].str.contains(r"-F\d\d$").all()
        assert slots["people"].is_null().all()
        assert any("花名册" in note for note in plan.notes)

    def test_the_weights_add_up_to_the_registered_households_on_average(self, county) -> None:  # type: ignore[no-untyped-def]
        frame = county.frame()
        totals = [
            draw_plan(frame, SamplingParams(), seed=s)
            .units.filter(pl.col("registered"))["weight"]
            .sum()
            for s in range(60)
        ]
        assert np.mean(totals) == pytest.approx(county.households.height, rel=0.04)


class TestProbabilityProportionalToSize:
    def test_units_are_drawn_with_their_inclusion_probability(self) -> None:
        sizes = np.array([1, 2, 3, 4, 10, 30, 5, 5])
        pi = inclusion_probabilities(sizes, 3)
        assert pi.sum() == pytest.approx(3)
        assert pi[5] == 1  # 30 of 60 with n = 3 would be 1.5: taken with certainty
        assert pi[:5] == pytest.approx(2 * sizes[:5] / 30)
        rng = np.random.default_rng(0)
        hits = np.zeros(len(sizes))
        draws = 4000
        for _ in range(draws):
            chosen, _ = pps_systematic(sizes, 3, rng)
            assert len(set(chosen.tolist())) == 3
            hits[chosen] += 1
        assert hits / draws == pytest.approx(pi, abs=0.03)


class TestFromADataSet:
    def test_the_frame_finds_weak_groups_remote_villages_and_non_registered_households(
        self,
        county,
        tmp_path: Path,  # type: ignore[no-untyped-def]
    ) -> None:
        folder = county.write_dataset(tmp_path / "data")
        con = open_dataset(folder)
        frame = load_frame(con, county.county_code, SamplingParams(), dt.date(2017, 12, 31))
        assert frame.villages.height == county.villages.height
        assert frame.households.height == county.households.height
        expected = county.villages.sort("code")
        got = frame.villages.sort("code")
        assert got["remote"].to_list() == expected["remote"].to_list()
        assert got["registered_people"].to_list() == expected["registered_people"].to_list()
        assert (got["nonreg_households"] > 0).all()
        truth = dict(zip(county.households["household_id"], county.households["weak"], strict=True))
        for hid, weak in zip(
            frame.households["household_id"], frame.households["weak"], strict=True
        ):
            assert (weak != "") == (truth[hid] != ""), hid

    def test_the_plan_workbook_has_one_row_per_household_and_reads_back(
        self,
        county,
        tmp_path: Path,  # type: ignore[no-untyped-def]
    ) -> None:
        from openpyxl import load_workbook

        plan = draw_plan(county.frame(), SamplingParams(), seed=9)
        path = write_plan_xlsx(plan, tmp_path / "plan.xlsx")
        book = load_workbook(path, read_only=True)
        assert book.sheetnames == ["survey", "抽样村", "抽样说明"]
        rows = list(book["survey"].iter_rows(values_only=True))
        header = rows[0]
        for column in (
            "区划代码",
            "户编号",
            "建档立卡户",
            "家庭人口",
            "达到脱贫标准",
            "应纳未纳",
            "漏评人口",
            "不应纳入",
            "认可",
            "权重",
            "层",
            "群",
            "入样概率",
        ):
            assert column in header
        assert len(rows) - 1 == plan.units.height
        design = read_plan(path)
        assert design.registered.height == int(plan.units["registered"].sum())
        assert design.villages.height == plan.villages.height
