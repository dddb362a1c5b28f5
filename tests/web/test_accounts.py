"""Accounts: password rule, lockout, idle expiry, CSRF, and `fupin users create`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

from fupin.web.accounts import AccountError, create_user
from fupin.web.models import AuditLog
from tests.registry import dataset
from tests.web.conftest import PASSWORD


def test_a_simple_password_is_refused_with_the_rule_in_chinese(registry):
    with pytest.raises(AccountError, match="至少三类"):
        create_user("weak", "password12", "领导", dataset.COUNTY)


def test_an_unknown_role_or_region_is_refused(registry):
    with pytest.raises(AccountError, match="未知角色"):
        create_user("x", PASSWORD, "村长", dataset.COUNTY)
    with pytest.raises(AccountError, match="不存在"):
        create_user("x", PASSWORD, "领导", "110000000000")


def test_logging_in_with_the_right_password_is_audited_with_the_ip(client, clerk):
    response = client.post(
        "/login/", {"username": "clerk_a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8"
    )
    assert response.status_code == 302
    entry = AuditLog.objects.get(action="登录")
    assert (entry.username, entry.ip) == ("clerk_a", "10.0.0.8")


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, clerk, settings):
    settings.FUPIN_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        page = client.post("/login/", {"username": "clerk_a", "password": "Wrong-Pass-1"})
        assert page.status_code == 200
    page = client.post("/login/", {"username": "clerk_a", "password": PASSWORD})
    assert page.status_code == 200
    assert "账户已锁定" in page.content.decode()
    assert not page.wsgi_request.user.is_authenticated
    assert AuditLog.objects.filter(action="账户锁定", username="clerk_a").count() == 1


def test_sessions_expire_when_idle_and_are_renewed_by_each_request(client, clerk):
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert django_settings.SESSION_COOKIE_AGE <= 3600
    client.post("/login/", {"username": "clerk_a", "password": PASSWORD})
    session = Session.objects.get()
    # each request pushes the expiry to a full idle period from now
    session.expire_date = timezone.now() + dt.timedelta(minutes=1)
    session.save()
    assert client.get("/households/").status_code == 200
    renewed = Session.objects.get().expire_date - timezone.now()
    assert renewed > dt.timedelta(seconds=django_settings.SESSION_COOKIE_AGE - 60)
    # a session left idle past its expiry is over
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_forms_without_a_csrf_token_are_refused(clerk):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)
    response = strict.post(
        "/households/H001/adjust/", {"kind": "标注脱贫", "year": "2018", "reason": "x"}
    )
    assert response.status_code == 403
    page = strict.get("/households/H001/")
    assert "csrfmiddlewaretoken" in page.content.decode()


def test_fupin_users_create_makes_a_login_for_the_site(tmp_path):
    """A real subprocess against its own database under FUPIN_HOME, filled by `fupin import`."""
    home = tmp_path / "cli-home"
    env = dict(os.environ, FUPIN_HOME=str(home))
    env.pop("FUPIN_DATABASE_URL", None)
    run = [sys.executable, "-m", "fupin"]
    data = dataset.write(tmp_path / "cli-ds")
    imported = subprocess.run([*run, "import", str(data)], env=env, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    made = subprocess.run(
        [
            *run,
            "users",
            "create",
            "--username",
            "u1",
            "--role",
            "审核员",
            "--region",
            dataset.COUNTY,
            "--password",
            PASSWORD,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    assert "已创建用户 u1" in made.stdout


def test_login_does_not_redirect_to_another_site(client, clerk):
    response = client.post(
        "/login/?next=https://evil.example/", {"username": "clerk_a", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
