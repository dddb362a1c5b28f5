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
    "fupin.governance",
    "fupin.funds",
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
STATICFILES_DIRS: list[Path] = []

LOGIN_URL = "/admin/login/"

# 帮扶责任人 may help at most this many households (seed 003, the town report's 5-household cap).
FUPIN_HELPER_HOUSEHOLD_CAP = int(os.environ.get("FUPIN_HELPER_HOUSEHOLD_CAP", "5"))
