#!/usr/bin/env bash
# fupin's two commands for a fresh machine:
#   ./run.sh demo   install everything, build a demo county and serve it on http://127.0.0.1:8000
#   ./run.sh test   install everything and run the whole test suite (SQLite, then PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")"

VENV=${FUPIN_VENV:-.venv}
PY=${PYTHON:-python3}

install_system_packages() {
    # Chinese fonts: fonts-wqy-zenhei is the TrueType font every PDF embeds (reportlab cannot
    # embed Noto CJK), fonts-noto-cjk is for the browser. Chromium for the browser tests,
    # poppler for PDF checks (poppler-data: CJK encodings for PDFs made elsewhere), Java for Spark.
    local want=(fonts-wqy-zenhei fonts-noto-cjk chromium chromium-driver poppler-utils poppler-data
        default-jre-headless)
    local missing=()
    for p in "${want[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then return; fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "请先安装系统软件包：${missing[*]}" >&2
        return
    fi
    echo "安装系统软件包：${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
}

postgres_url() {
    echo "${FUPIN_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
}

postgres_up() {
    "$VENV/bin/python" - "$(postgres_url)" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg
from fupin.config import parse_database_url
c = parse_database_url(sys.argv[1])
psycopg.connect(dbname=c.name, user=c.user, host=c.host, port=c.port or 5432, connect_timeout=3).close()
PYEOF
}

case "${1:-}" in
    demo)
        install_system_packages
        install_python
        exec "$VENV/bin/fupin" demo "${@:2}"
        ;;
    test)
        install_system_packages
        install_python
        export FUPIN_HOME
        FUPIN_HOME=$(mktemp -d -t fupin-test-XXXXXX)
        "$VENV/bin/ruff" check src tests bench docs
        "$VENV/bin/mypy"
        echo "== 测试：SQLite =="
        env -u FUPIN_DATABASE_URL "$VENV/bin/pytest" -n 2 "${@:2}"
        if postgres_up; then
            echo "== 测试：PostgreSQL =="
            FUPIN_DATABASE_URL=$(postgres_url) "$VENV/bin/pytest" -n 2 -m "not spark and not browser" "${@:2}"
        elif [ "${CI:-}" = "true" ]; then
            echo "CI 中必须能连接 PostgreSQL：$(postgres_url)" >&2
            exit 1
        else
            echo "未找到 PostgreSQL（$(postgres_url)），跳过 PostgreSQL 测试"
        fi
        ;;
    *)
        echo "用法：./run.sh demo | ./run.sh test" >&2
        exit 2
        ;;
esac
