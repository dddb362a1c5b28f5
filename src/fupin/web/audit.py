"""Writing the audit log: every reveal, export, change and login event."""

from __future__ import annotations

from fupin.web.models import AuditLog


def client_ip(request) -> str | None:
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def log(
    request,
    action: str,
    target: str = "",
    detail: str = "",
    *,
    user=None,
    username: str = "",
    ip: str | None = None,
) -> AuditLog:
    """One entry: who (the request's user unless given), what, on what, from which IP.

    Work finished in the background (an import) has no request: it passes the user and the
    IP the request came from.
    """
    user = user if user is not None else getattr(request, "user", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditLog.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else username,
        action=action,
        target=target,
        detail=detail,
        ip=client_ip(request) if request is not None else ip,
    )
