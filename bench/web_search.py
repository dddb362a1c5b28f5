"""Benchmark: the site's household search at 10,000,000 members (issue 7: under 200 ms).

Builds a SQLite registry of `--members` members (about 3.5 per household, 300 households per
village, 30 villages per township, 10 townships per county) straight into the registry tables
(no history rows: the search reads only the current tables), then times the search page, as
a province leader and as a county clerk would open it, through Django's test client: the full
request (session, scoping, query, pagination count, template). Beside it, the same searches
done the naive way (a substring match, `LIKE '%…%'`, which scans) as the baseline, with ratios.

    .venv/bin/python bench/web_search.py [--members 10000000] [--keep DIR]

`--members 1000000` runs the same thing at a tenth of the scale.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华文玉兰萍红梅海燕鹏辉玲丹春燕志强宇浩凯俊峰晨"


def build(db: Path, members: int, seed: int) -> dict[str, object]:
    from django.db import connection, transaction

    from fupin.registry.models import Household, Member, Region

    rng = random.Random(seed)
    households = max(1, int(members / 3.5))
    villages = max(1, households // 300)
    per_town, per_county = 30, 10
    region_rows = [
        ("530000000000", "云南省", "省", None),
        ("530100000000", "昆明市", "市", "530000000000"),
    ]
    village_codes = []
    for v in range(villages):
        t = v // per_town
        c = t // per_county
        county = f"5301{c + 1:02d}000000"
        town = f"5301{c + 1:02d}{t % per_county + 1:03d}000"
        if t % per_county == 0 and v % per_town == 0:
            region_rows.append((county, f"第{c + 1}县", "县", "530100000000"))
        if v % per_town == 0:
            region_rows.append((town, f"第{t + 1}乡", "乡", county))
        code = town[:9] + f"{v % per_town + 1:03d}"
        region_rows.append((code, f"第{v + 1}村", "村", town))
        village_codes.append(code)

    def defaults(model, skip):
        out = {}
        for f in model._meta.concrete_fields:
            if f.attname in skip:
                continue
            out[f.column] = None if f.null else (f.get_default() if f.has_default() else "")
        return out

    def insert(model, rows: list[dict[str, object]]) -> None:
        cols = list(rows[0])
        sql = (
            f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) "
            f"VALUES ({', '.join(['%s'] * len(cols))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[r[c] for c in cols] for r in rows])

    started = time.perf_counter()
    with transaction.atomic():
        base = defaults(Region, {"code", "name", "level", "parent_id"})
        insert(
            Region,
            [
                {**base, "code": c, "name": n, "level": lv, "parent_code": p}
                for c, n, lv, p in region_rows
            ],
        )
    hh_base = defaults(Household, {"household_id", "region_id", "head_name", "head_id_number"})
    m_base = defaults(Member, {"id", "household_id", "id_number", "name"})
    statuses = ["未脱贫"] * 3 + ["已脱贫"] * 6 + ["返贫", "清退"]
    n_member = 0
    probe: dict[str, str] = {}
    batch_h: list[dict[str, object]] = []
    batch_m: list[dict[str, object]] = []
    seq = 0
    for h in range(households):
        village = village_codes[h % villages]
        size = 3 if rng.random() < 0.5 else 4
        if n_member + size > members:
            size = max(1, members - n_member)
        hid = f"H{h:08d}"
        people = []
        for _ in range(size):
            seq += 1
            number = f"{village[:6]}{seq:012d}"  # 18 characters, unique; validity is not searched
            name = (
                rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            )
            people.append((number, name))
        n_member += size
        batch_h.append(
            {
                **hh_base,
                "household_id": hid,
                "region_code": village,
                "head_name": people[0][1],
                "head_id_number": people[0][0],
                "status": rng.choice(statuses),
                "digest": "",
            }
        )
        for number, name in people:
            batch_m.append(
                {**m_base, "household_id": hid, "id_number": number, "name": name, "digest": ""}
            )
        if h == households // 2:
            probe = {
                "name": people[-1][1],
                "id": people[-1][0],
                "household": hid,
                "village": village,
            }
        if len(batch_m) >= 200_000 or n_member >= members or h == households - 1:
            with transaction.atomic():
                insert(Household, batch_h)
                insert(Member, batch_m)
            batch_h, batch_m = [], []
            print(f"  {n_member:,} 人", end="\r", file=sys.stderr)
        if n_member >= members:
            break
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "households": Household.objects.count(),
        "members": n_member,
        "villages": villages,
        "build_s": time.perf_counter() - started,
        "probe": probe,
        "county": probe["village"][:6] + "000000",
    }


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the database in this folder")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    home = args.keep or Path(tempfile.mkdtemp(prefix="fupin-bench-web-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["FUPIN_HOME"] = str(home)
    os.environ.pop("FUPIN_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "fupin.project.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fupin.cli.django_setup import setup_django

    setup_django()
    from django.conf import settings
    from django.test import Client

    from fupin.registry.models import Household, Member
    from fupin.web.accounts import create_user

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if Member.objects.exists():
        raise SystemExit(f"{home} already holds a registry; use an empty --keep folder")
    print(f"建库：{args.members:,} 人 → {home}")
    info = build(home, args.members, args.seed)
    probe = info["probe"]
    print(
        f"  {info['households']:,} 户，{info['members']:,} 人，{info['villages']:,} 个村，"
        f"用时 {info['build_s']:.0f} 秒"
    )
    create_user("bench_leader", "Bench-Pass-2026!", "领导", "530000000000")
    create_user("bench_county", "Bench-Pass-2026!", "数据录入员", str(info["county"]))

    rows = []
    for user in ("bench_leader", "bench_county"):
        client = Client()
        client.login(username=user, password="Bench-Pass-2026!")
        shapes = {
            "姓名": {"q": probe["name"]},
            "身份证号": {"q": probe["id"]},
            "户编号": {"q": probe["household"]},
            "村": {"region": probe["village"]},
            "状态": {"status": "返贫"},
            "浏览第1页": {},
            "浏览第500页": {"page": "500"},
        }
        for label, params in shapes.items():
            response = client.get("/households/", params)
            assert response.status_code == 200, (label, response.status_code)
            ms = timed(lambda c=client, p=params: c.get("/households/", p))
            rows.append((user, label, ms))

    # the naive baseline: substring matches, which cannot use an index
    def naive_name() -> None:
        list(
            Household.objects.filter(head_name__contains=probe["name"]).order_by("household_id")[
                :20
            ]
        )
        list(Member.objects.filter(name__contains=probe["name"]).values("household_id")[:20])

    def naive_id() -> None:
        list(
            Member.objects.filter(id_number__contains=probe["id"][-12:]).values("household_id")[:20]
        )

    baseline = {"姓名": timed(naive_name, 3), "身份证号": timed(naive_id, 3)}

    print(
        f"\n{'用户':<14}{'查询':<10}{'中位数（毫秒）':>14}{'目标':>8}{'基线（毫秒）':>14}{'倍数':>8}"
    )
    for user, label, ms in rows:
        base = baseline.get(label)
        ratio = f"{base / ms:.0f}x" if base else ""
        print(
            f"{user:<14}{label:<10}{ms:>14.1f}{'✓' if ms < 200 else '✗':>8}"
            f"{(f'{base:.1f}' if base else ''):>14}{ratio:>8}"
        )
    if args.keep is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
