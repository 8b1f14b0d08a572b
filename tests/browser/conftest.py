"""Browser tests: the built site opened from disk (file://) in Debian's Chromium, driven by Playwright.

Every test fails on a console error, an uncaught exception or any request that is
not file:// (the site must make no network request at all).
"""

import os
import shutil
from pathlib import Path

import pytest

from kgwiki.pipeline import build

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed: .ci/run must install it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def build_fixture(name: str, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp(name) / name
    shutil.copytree(FIXTURES / name, root)
    build(root, jobs=1)
    return root / "site"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    return build_fixture("site", tmp_path_factory)


@pytest.fixture(scope="session")
def xss_site(tmp_path_factory) -> Path:
    return build_fixture("xss", tmp_path_factory)


class Watched:
    """A page that records console errors, page errors, dialogs and non-file requests."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            watched_page.remote.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    watched_page = Watched(page)
    yield watched_page
    context.close()
    assert watched_page.errors == [], watched_page.errors
    assert watched_page.remote == [], f"requests that are not file://: {watched_page.remote}"
    assert watched_page.dialogs == [], f"dialogs opened: {watched_page.dialogs}"
