"""A small county written straight into the registry tables: 2 townships, 4 villages, 24 households."""

from __future__ import annotations

import datetime as dt

from fupin.engine import idcard
from fupin.registry.models import Household, Member, Region

PROVINCE = "360000000000"
CITY = "360700000000"
COUNTY = "360726000000"
TOWNS = ("360726100000", "360726200000")
VILLAGES = ("360726100001", "360726100002", "360726200001", "360726200002")
VILLAGE_NAMES = ("新寨村", "河口村", "石门村", "高坪村")
SURNAMES = "王李张刘陈杨黄赵周吴孙朱"


def person_id(birth_year: int, sequence: int) -> str:
    return idcard.make("360726", dt.date(birth_year, 3, 14), sequence)


def make_county(households_per_village: int = 6) -> dict[str, str]:
    """Regions, households (the last of each village 清退) and members; returns the codes."""
    Region.objects.create(code=PROVINCE, name="江西省", level="省")
    Region.objects.create(code=CITY, name="赣州市", level="市", parent_id=PROVINCE)
    Region.objects.create(
        code=COUNTY, name="安远县", level="县", parent_id=CITY, poverty_flag="国定贫困县"
    )
    Region.objects.create(code=TOWNS[0], name="欣山镇", level="乡", parent_id=COUNTY)
    Region.objects.create(code=TOWNS[1], name="孔田镇", level="乡", parent_id=COUNTY)
    sequence = 0
    for v, (code, name) in enumerate(zip(VILLAGES, VILLAGE_NAMES, strict=True)):
        Region.objects.create(code=code, name=name, level="村", parent_id=TOWNS[v // 2])
        for n in range(households_per_village):
            sequence += 1
            head_name = SURNAMES[sequence % len(SURNAMES)] + "大" + "一二三四五六七八九十"[n % 10]
            head_id = person_id(1960 + n, sequence * 2 + 1)
            status = (
                "清退" if n == households_per_village - 1 else ("已脱贫" if n % 2 else "未脱贫")
            )
            household = Household.objects.create(
                household_id=f"{code}{n + 1:04d}",
                region_id=code,
                head_name=head_name,
                head_id_number=head_id,
                status=status,
                digest="t",
            )
            Member.objects.create(
                household=household, id_number=head_id, name=head_name, relation="户主", digest="t"
            )
            Member.objects.create(
                household=household,
                id_number=person_id(1990 + n, sequence * 2 + 2),
                name=head_name[0] + "小" + head_name[-1],
                relation="之子",
                digest="t",
            )
    return {"county": COUNTY, "towns": ",".join(TOWNS), "villages": ",".join(VILLAGES)}
