"""People who use the ledgers, built in plain code: a county clerk and reviewer, a provincial
officer, and an outsider from another county."""

from django.contrib.auth import get_user_model

from fupin.governance.models import GovernanceMembership, Organisation

LONGCHUAN = "533124000000"  # 陇川县, 德宏州, 云南省
YUNNAN = "530000000000"
RUILI = "533102000000"  # 瑞丽市, another county of 德宏州


def unit(name, region_code, region_name=""):
    org, _ = Organisation.objects.get_or_create(
        name=name, region_code=region_code, defaults={"region_name": region_name}
    )
    return org


def person(username, organisation, role="办理"):
    user = get_user_model().objects.create_user(username)  # no password: hashing is slow
    GovernanceMembership.objects.create(user=user, organisation=organisation, role=role)
    return user


def personas():
    poverty_office = unit("县扶贫办", LONGCHUAN, "陇川县")
    return {
        "clerk": person("clerk", poverty_office),
        "reviewer": person("reviewer", poverty_office, role="审核"),
        "province": person("province", unit("省扶贫办", YUNNAN, "云南省"), role="负责人"),
        "outsider": person("outsider", unit("县扶贫办", RUILI, "瑞丽市"), role="审核"),
    }
