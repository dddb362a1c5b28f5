"""Configuration from environment variables, checked once at start-up.

FUPIN_HOME          data directory (database, snapshots, results); default ~/.fupin
FUPIN_DATABASE_URL  sqlite:///PATH or postgresql://user@host:port/db; default a SQLite
                    file under FUPIN_HOME
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigError(ValueError):
    pass


def fupin_home() -> Path:
    raw = os.environ.get("FUPIN_HOME", "").strip()
    home = Path(raw).expanduser() if raw else Path.home() / ".fupin"
    return home.resolve()


def snapshots_dir() -> Path:
    return fupin_home() / "snapshots"


@dataclass(frozen=True)
class DatabaseConfig:
    engine: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    def django(self) -> dict[str, object]:
        if self.engine == "sqlite":
            return {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": self.name,
                "OPTIONS": {"timeout": 30},
            }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": self.port,
        }


def database_config() -> DatabaseConfig:
    url = os.environ.get("FUPIN_DATABASE_URL", "").strip()
    if not url:
        return DatabaseConfig("sqlite", str(fupin_home() / "fupin.sqlite3"))
    return parse_database_url(url)


def parse_database_url(url: str) -> DatabaseConfig:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/or/absolute  (three slashes then the path, as SQLAlchemy writes it)
        path = unquote(url[len("sqlite://") :])
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:] if not Path(path).is_absolute() else path
        if not path:
            raise ConfigError(f"FUPIN_DATABASE_URL 缺少 SQLite 文件路径: {url}")
        return DatabaseConfig("sqlite", str(Path(path).expanduser()))
    if parts.scheme in ("postgres", "postgresql"):
        name = parts.path.lstrip("/")
        if not name:
            raise ConfigError(f"FUPIN_DATABASE_URL 缺少数据库名: {url}")
        return DatabaseConfig(
            "postgresql",
            unquote(name),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=str(parts.port or ""),
        )
    raise ConfigError(
        f"FUPIN_DATABASE_URL 的协议 {parts.scheme!r} 不受支持，应为 sqlite:/// 或 postgresql://"
    )
