"""Region scoping and permissions in one place.

Every view and API call reaches households, members and regions through these helpers, so a
user sees only the subtree of the region they belong to. Anything outside it is answered with
404, exactly as if it did not exist: a county clerk cannot even learn that another county's
household number is taken.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.registry import regions
from fupin.registry.models import Household, Member, Region
from fupin.web.roles import ADMIN, roles_can

ALL = ""  # the region code of a superuser without a profile: the whole country


def user_roles(user) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    profile = _profile(user)
    if profile is not None:
        return profile.role_list
    return [ADMIN] if user.is_superuser else []


def user_region(user) -> str | None:
    """The user's region code, ALL for a superuser without a profile, None for nobody."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = _profile(user)
    if profile is not None:
        return profile.region_id
    return ALL if user.is_superuser else None


def _profile(user):
    try:
        return user.profile
    except Exception:  # RelatedObjectDoesNotExist
        return None


def can(user, permission: str) -> bool:
    return user_region(user) is not None and roles_can(user_roles(user), permission)


def require(user, permission: str) -> None:
    if not can(user, permission):
        raise PermissionDenied(f"没有“{permission}”权限")


def permission_required(permission: str):
    """View decorator: log in first, then hold the permission (403 otherwise)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(request.user, permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def in_scope(user, code: str) -> bool:
    scope = user_region(user)
    if scope is None:
        return False
    if scope == ALL:
        return True
    low, high = regions.subtree_range(scope)
    return low <= code <= high


def households(user):
    """The households a user may see."""
    scope = user_region(user)
    if scope is None:
        return Household.objects.none()
    if scope == ALL:
        return Household.objects.all()
    return Household.objects.within(scope)


def members(user):
    scope = user_region(user)
    if scope is None:
        return Member.objects.none()
    if scope == ALL:
        return Member.objects.all()
    return Member.objects.within(scope)


def region_list(user):
    scope = user_region(user)
    if scope is None:
        return Region.objects.none()
    if scope == ALL:
        return Region.objects.all()
    return Region.objects.within(scope)


def household_or_404(user, household_id: str) -> Household:
    try:
        return households(user).select_related("region").get(household_id=household_id)
    except Household.DoesNotExist:
        raise Http404("没有这一户，或不在您的管辖范围内") from None


def member_or_404(user, household: Household, member_pk: int) -> Member:
    try:
        return members(user).get(pk=member_pk, household=household)
    except Member.DoesNotExist:
        raise Http404("没有这位成员，或不在您的管辖范围内") from None


def region_or_404(user, code: str) -> Region:
    if not in_scope(user, code):
        raise Http404("没有这个区划，或不在您的管辖范围内")
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise Http404("没有这个区划") from None


def home_region(user) -> Region | None:
    scope = user_region(user)
    if scope is None:
        return None
    if scope == ALL:
        return Region.objects.filter(parent__isnull=True).order_by("code").first()
    return Region.objects.filter(code=scope).first()
