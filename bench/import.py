"""Benchmark: `fupin import` of a generated 1,000,000-member data set into PostgreSQL and SQLite.

Prints members per second and peak memory of each, beside the naive baseline of one ORM save
per row, measured on a sample in the same run, and the ratio between them.

    .venv/bin/python bench/import.py [--members 1000000] [--sample 5000] [--skip-sqlite]

PostgreSQL: FUPIN_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/fupin_bench);
the database is dropped and created afresh for each run.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEMBERS_PER_HOUSEHOLD = 3.5  # what the generator produces on average


def dataset(members: int) -> Path:
    out = HERE / "out" / f"import-{members}"
    if not (out / "members.csv").exists():
        sys.path.insert(0, str(ROOT / "src"))
        from fupin.engine.generate import generate

        households = int(members / MEMBERS_PER_HOUSEHOLD)
        counties = max(1, households // 30_000)
        print(f"生成数据集：{counties} 个县，约 {households} 户 → {out}", flush=True)
        generate(
            out,
            counties=counties,
            households_per_county=households // counties,
            seed=1,
            rosters=False,
        )
    return out


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1


def run_import(data: Path, database_url: str | None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KB) of one `fupin import` in a fresh home."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "FUPIN_HOME": home}
        env.pop("FUPIN_DATABASE_URL", None)
        if database_url:
            env["FUPIN_DATABASE_URL"] = database_url
        # migrate first, so the timing is the import alone
        subprocess.run(
            [sys.executable, "-m", "fupin", "snapshots"], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from fupin.cli.django_setup import setup_django; setup_django()",
            ],
            env=env,
            check=True,
        )
        started = time.perf_counter()
        done = subprocess.run(
            [
                "/usr/bin/time",
                "-f",
                "%M",
                sys.executable,
                "-m",
                "fupin",
                "import",
                "--quiet",
                str(data),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        return elapsed, int(done.stderr.strip().splitlines()[-1])


NAIVE = r"""
import csv, sys, time
from fupin.cli.django_setup import setup_django
setup_django()
from fupin.registry.models import Region, Household, Member
data, sample = sys.argv[1], int(sys.argv[2])
def rows(name):
    with open(f"{data}/{name}.csv", encoding="utf-8") as f:
        yield from csv.DictReader(f)
for r in rows("regions"):
    Region(code=r["code"], name=r["name"], level=r["level"], parent_id=r["parent_code"] or None,
           poverty_flag=r["poverty_flag"], population=r["population"] or None).save()
started = time.perf_counter()
households = {}
n = 0
for h in rows("households"):
    if len(households) * 3.5 >= sample:
        break
    households[h["household_id"]] = Household(household_id=h["household_id"], region_id=h["region_code"],
        head_name=h["head_name"], head_id_number=h["head_id_number"], attribute=h["attribute"],
        main_cause=h["main_cause"], status=h["status"])
    households[h["household_id"]].save()
for m in rows("members"):
    if m["household_id"] not in households:
        continue
    Member(household_id=m["household_id"], id_number=m["id_number"], name=m["name"], sex=m["sex"],
           birth_date=m["birth_date"], relation=m["relation"]).save()
    n += 1
print(n, time.perf_counter() - started)
"""


def run_naive(data: Path, sample: int, database_url: str | None) -> float:
    """Members per second of one ORM save() per household and member row."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "FUPIN_HOME": home}
        env.pop("FUPIN_DATABASE_URL", None)
        if database_url:
            env["FUPIN_DATABASE_URL"] = database_url
        done = subprocess.run(
            [sys.executable, "-c", NAIVE, str(data), str(sample)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        members, seconds = done.stdout.split()
        return int(members) / float(seconds)


def fresh_postgres(url: str) -> None:
    import psycopg

    sys.path.insert(0, str(ROOT / "src"))
    from fupin.config import parse_database_url

    c = parse_database_url(url)
    with psycopg.connect(
        dbname="postgres", user=c.user, host=c.host, port=c.port or 5432, autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{c.name}"')
        conn.execute(f'CREATE DATABASE "{c.name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--sample", type=int, default=5_000, help="members in the naive baseline's sample"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    data = dataset(args.members)
    members = count_rows(data / "members.csv")
    households = count_rows(data / "households.csv")
    print(f"机器：{platform.machine()}，{os.cpu_count()} 核，Python {platform.python_version()}")
    print(f"数据集：{members:,} 名成员，{households:,} 户（{data}）\n")
    print(f"{'数据库':<12}{'成员/秒':>12}{'峰值内存':>12}{'逐行ORM基线':>14}{'倍数':>8}")
    targets: list[tuple[str, str | None]] = []
    if not args.skip_postgres:
        targets.append(
            (
                "PostgreSQL",
                os.environ.get(
                    "FUPIN_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/fupin_bench"
                ),
            )
        )
    if not args.skip_sqlite:
        targets.append(("SQLite", None))
    for name, url in targets:
        if url:
            fresh_postgres(url)
        baseline = run_naive(data, args.sample, url)
        if url:
            fresh_postgres(url)
        seconds, peak_kb = run_import(data, url)
        rate = members / seconds
        print(
            f"{name:<12}{rate:>12,.0f}{peak_kb / 1024:>10,.0f}MB{baseline:>14,.0f}{rate / baseline:>7.1f}×",
            flush=True,
        )


if __name__ == "__main__":
    csv.field_size_limit(1 << 20)
    main()
