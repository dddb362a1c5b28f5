"""Retake the README's screenshots (docs/home.png, docs/household.png) on a running demo.

    ./run.sh demo                                   # in one terminal: the demo county
    .venv/bin/python docs/screenshots.py PASSWORD   # in another: reviewer's password, printed by the demo

Logged in as `reviewer` (the county 审核员), in Debian's headless Chromium: the county's home
page, and the file of the first failing household whose gap list is longest among the first
eight of the search page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browsers import chromium  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("password", help="reviewer 的密码（fupin demo 打印的演示账号）")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{args.url}/login/")
        page.fill("#id_username", "reviewer")
        page.fill("#id_password", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        if "/login/" in page.url:
            sys.exit("登录失败：请检查 reviewer 的密码和网站地址")
        page.goto(f"{args.url}/")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)  # the charts animate in
        page.screenshot(path=str(ROOT / "docs" / "home.png"), full_page=True)
        page.goto(f"{args.url}/households/?verdict=未达标")
        files = page.eval_on_selector_all(
            "a[href^='/households/']", "els => els.map(e => e.getAttribute('href'))"
        )
        files = [f for f in files if f.count("/") == 3][:8]  # /households/<id>/
        if not files:
            sys.exit("没有未达标的贫困户：请先运行 fupin demo")
        longest = (-1, files[0])
        for href in files:
            page.goto(f"{args.url}{href}")
            gaps = page.eval_on_selector_all("#verdict ol li", "els => els.length")
            longest = max(longest, (gaps, href))
        page.goto(f"{args.url}{longest[1]}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ROOT / "docs" / "household.png"), full_page=True)
    print("已更新 docs/home.png、docs/household.png")


if __name__ == "__main__":
    main()
