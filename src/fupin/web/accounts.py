"""Creating site users, the password rule and the login lockout."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fupin.registry.models import Region
from fupin.web.models import LoginFailure, UserProfile
from fupin.web.roles import ROLES


class AccountError(ValueError):
    """A user cannot be created; str() says why in Chinese."""


def create_user(
    username: str, password: str, role: str | list[str], region_code: str, unit: str = ""
):
    """Create a site user with one or more roles in a region; the password must pass the rules."""
    roles = [role] if isinstance(role, str) else list(role)
    roles = [r for part in roles for r in part.replace("，", ",").split(",") if r]
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise AccountError(f"未知角色：{'、'.join(unknown) or '（空）'}；可选：{'、'.join(ROLES)}")
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise AccountError(f"区划代码{region_code}不存在，请先导入区划")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise AccountError(f"用户名{username}已存在")
    candidate = user_model(username=username)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise AccountError("；".join(exc.messages)) from None
    with transaction.atomic():
        user = user_model.objects.create_user(username=username, password=password)
        UserProfile.objects.create(user=user, region=region, unit=unit, roles=",".join(roles))
    return user


class ComplexPasswordValidator:
    """At least `min_length` characters from at least three of: upper, lower, digits, symbols."""

    def __init__(self, min_length: int = 10) -> None:
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        classes = sum(
            bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")
        )
        if len(password) < self.min_length or classes < 3:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return f"密码至少{self.min_length}位，且须包含大写字母、小写字母、数字、符号中的至少三类"


def _limits() -> tuple[int, dt.timedelta]:
    attempts = getattr(settings, "FUPIN_LOGIN_MAX_FAILURES", 5)
    minutes = getattr(settings, "FUPIN_LOGIN_LOCK_MINUTES", 15)
    return attempts, dt.timedelta(minutes=minutes)


def locked_until(username: str) -> dt.datetime | None:
    """When the account's lock ends, or None when it may try to log in."""
    row = LoginFailure.objects.filter(username=username).first()
    if row is None or row.locked_until is None or row.locked_until <= timezone.now():
        return None
    return row.locked_until


def record_failure(username: str) -> bool:
    """Count a failed login; True when the account is now locked."""
    attempts, lock = _limits()
    now = timezone.now()
    row, _ = LoginFailure.objects.get_or_create(username=username)
    if row.last_failure is None or now - row.last_failure > lock:
        row.failures = 0
    row.failures += 1
    row.last_failure = now
    if row.failures >= attempts:
        row.locked_until = now + lock
        row.failures = 0
    row.save()
    return row.locked_until is not None and row.locked_until > now


def record_success(username: str) -> None:
    LoginFailure.objects.filter(username=username).delete()
