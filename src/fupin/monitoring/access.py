"""Who may see and do what in monitoring and on the network's management pages.

The site's region scoping and roles (`fupin.web.access`) decide when the site app is
installed; without it only superusers get in. Views call only these helpers.
"""

from __future__ import annotations

from functools import wraps

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.registry import regions

VIEW = "view_registry"  # see cases, rates, rankings of the user's region
ACT = "edit"  # identify, verify, assign measures, follow up, close; manage the network
APPROVE = "approve"  # decide on 返贫


def _web() -> bool:
    return apps.is_installed("fupin.web")


def user_scope(user) -> str | None:
    """The user's region code ('' for the whole country), None for nobody."""
    if not getattr(user, "is_authenticated", False):
        return None
    if _web():
        from fupin.web.access import user_region

        return user_region(user)
    return "" if user.is_superuser else None


def can(user, permission: str) -> bool:
    if _web():
        from fupin.web.access import can as web_can

        return web_can(user, permission)
    return bool(getattr(user, "is_superuser", False))


def in_scope(user, code: str) -> bool:
    scope = user_scope(user)
    if scope is None:
        return False
    if scope == "":
        return True
    low, high = regions.subtree_range(scope)
    return low <= code <= high


def require_in_scope(user, code: str) -> None:
    if not in_scope(user, code):
        raise Http404("不存在，或不在您的管辖范围内")


def permission_required(permission: str):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, permission):
                raise PermissionDenied(f"没有“{permission}”权限")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
