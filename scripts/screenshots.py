#!/usr/bin/env python3
"""Screenshots for the README, taken from a real build of this repository's wiki.

    .venv/bin/python scripts/screenshots.py

Builds the wiki into a temporary folder, opens it from disk in headless Chromium
(Debian's package) and writes docs/images/concept-page.png and docs/images/explorer.png.
"""

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kgwiki.pipeline import build  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    out = REPO / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build(REPO, site)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
            page.goto((site / "mesa-optimization.html").as_uri())
            page.wait_for_function("window.kgwikiMap && window.kgwikiMap.network")
            page.wait_for_timeout(800)
            page.screenshot(path=str(out / "concept-page.png"))
            page.goto((site / "graph.html").as_uri())
            page.wait_for_function("window.kgwikiExplorer && window.kgwikiExplorer.network")
            page.fill("#explorer-search", "Inner alignment")
            page.press("#explorer-search", "Enter")
            page.wait_for_timeout(1200)
            page.screenshot(path=str(out / "explorer.png"))
            browser.close()
    print(f"wrote {out / 'concept-page.png'} and {out / 'explorer.png'}")


if __name__ == "__main__":
    main()
