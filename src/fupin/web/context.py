"""Template context for every page extending base.html: the user's roles, permissions, menu."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from fupin.web import access
from fupin.web.roles import PERMISSIONS

# Other parts of the site, shown in the menu when installed (each page checks its own access).
SECTIONS = (
    ("monitoring:index", "返贫监测"),
    ("comparison:findings", "比对发现"),
    ("funds:home", "资金项目"),
    ("governance:home", "任务与整改"),
    ("assessment:plans", "考核评估"),
)


def site(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    sections = []
    for name, label in SECTIONS:
        try:
            sections.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return {
        "perms_": {p: access.can(user, p) for p in PERMISSIONS},
        "roles": access.user_roles(user),
        "site_sections": sections,
    }
