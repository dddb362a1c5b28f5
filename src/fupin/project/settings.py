"""Django settings: everything comes from fupin.config (environment variables)."""

from __future__ import annotations

import os
from pathlib import Path

from fupin import config

BASE_DIR = Path(__file__).resolve().parent.parent
FUPIN_HOME = config.fupin_home()

SECRET_KEY = os.environ.get("FUPIN_SECRET_KEY", "fupin-development-key-change-me-in-production")
DEBUG = os.environ.get("FUPIN_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("FUPIN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "fupin.registry",
    "fupin.monitoring",
    "fupin.web",
    "ninja",  # the API documentation pages served from its own static files, not a CDN
    "fupin.governance",
    "fupin.funds",
    "fupin.comparison",
    "fupin.assessment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fupin.web.middleware.PdfFontMissingMiddleware",
]

ROOT_URLCONF = "fupin.project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fupin.web.context.site",
            ],
        },
    },
]

WSGI_APPLICATION = "fupin.project.wsgi.application"

DATABASES = {"default": config.database_config().django()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = FUPIN_HOME / "static"
STATICFILES_DIRS: list[Path] = [BASE_DIR / "static"]  # src/fupin/static: the shared site.css

LOGIN_URL = "/login/"

# The site (fupin.web): password rule, lockout after repeated failures, idle session expiry.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "fupin.web.accounts.ComplexPasswordValidator", "OPTIONS": {"min_length": 10}},
]
FUPIN_LOGIN_MAX_FAILURES = int(os.environ.get("FUPIN_LOGIN_MAX_FAILURES", "5"))
FUPIN_LOGIN_LOCK_MINUTES = int(os.environ.get("FUPIN_LOGIN_LOCK_MINUTES", "15"))
SESSION_COOKIE_AGE = int(os.environ.get("FUPIN_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: idle expiry
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE = "Lax"

# 帮扶责任人 may help at most this many households (seed 003, the town report's 5-household cap).
FUPIN_HELPER_HOUSEHOLD_CAP = int(os.environ.get("FUPIN_HELPER_HOUSEHOLD_CAP", "5"))
