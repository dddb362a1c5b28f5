"""Who sees what in the ledgers: the one place region and unit scoping lives.

A user's regions are the regions of the units they belong to (GovernanceMembership) and the
region of their site profile (fupin.web), if any. A user
sees everything within those regions' subtrees, plus whatever their units lead, co-operate on
or are responsible for elsewhere (a county bureau sees the provincial task it co-operates on).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from fupin.governance.models import CountyExit, Organisation, Problem, Task
from fupin.registry.regions import subtree_range

M = TypeVar("M", bound=Model)


def user_organisations(user: Any) -> QuerySet[Organisation]:
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user)


def user_region_codes(user: Any) -> list[str]:
    """The regions of the user's units, and the region of their site profile if they have one."""
    codes = set(user_organisations(user).values_list("region_code", flat=True))
    site = _site_region(user)
    if site:
        codes.add(site)
    return sorted(codes)


def _site_region(user: Any) -> str | None:
    """The region the site (fupin.web) gives the user, until the two scopings are unified."""
    from django.apps import apps

    if not apps.is_installed("fupin.web"):
        return None
    try:
        from fupin.web.access import user_region
    except ImportError:
        return None
    return user_region(user) or None


def _in_regions(field: str, codes: list[str]) -> Q:
    q = Q(pk__in=[])
    for code in codes:
        low, high = subtree_range(code)
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


def scoped(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """The part of `queryset` (tasks, problems, county exits, units) the user may see."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_superuser:
        return queryset
    codes = user_region_codes(user)
    orgs = list(user_organisations(user).values_list("pk", flat=True))
    model = queryset.model
    if model is Task:
        q = _in_regions("region_code", codes) | Q(units__organisation__in=orgs)
    elif model is Problem:
        q = (
            _in_regions("region_code", codes)
            | Q(lead_unit__in=orgs)
            | Q(responsible_units__in=orgs)
        )
    elif model is CountyExit:
        q = _in_regions("county_code", codes)
    elif model is Organisation:
        q = _in_regions("region_code", codes) | Q(pk__in=orgs)
    else:
        raise TypeError(f"no scoping rule for {model.__name__}")
    return queryset.filter(q).distinct()


def access_by_id(queryset: QuerySet[M], user: Any, pk: int) -> M:
    """Fetch one object the user may see, or 404 (never tell outsiders that it exists)."""
    obj = scoped(queryset, user).filter(pk=pk).first()
    if obj is None:
        raise Http404("没有找到该记录，或您无权查看")
    return obj
