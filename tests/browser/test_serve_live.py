"""kgwiki serve with a real browser open: an edit reloads the page and shows its diagnostics."""

import sys
import threading
from pathlib import Path

import pytest

from kgwiki.serve import serve

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from generate import generate  # noqa: E402


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "wiki"
    generate(20, root)
    stop, ready, info = threading.Event(), threading.Event(), {}

    def on_ready(port, session):
        info["port"] = port
        ready.set()

    thread = threading.Thread(target=serve, kwargs=dict(root=root, port=0, jobs=1, ready=on_ready, stop=stop),
                              daemon=True)
    thread.start()
    assert ready.wait(60)
    yield root, info["port"]
    stop.set()
    thread.join(10)


def test_edit_reloads_the_open_page_and_shows_its_diagnostics(browser, served):
    root, port = served
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"http://127.0.0.1:{port}/concept-00004.html")
    page.wait_for_function("document.querySelector('h1')")
    assert page.locator("#kgwiki-live").count() == 0  # nothing wrong yet
    source = root / "concepts" / "concept-00004.md"
    source.write_text(source.read_text().replace("## Definition\n", "## Definition\n\nNow see [[no-such-page]].\n", 1))
    banner = page.locator("#kgwiki-live")
    banner.wait_for(timeout=20000)  # the tab reloaded by itself and shows the page's problems
    assert "concepts/concept-00004.md:" in banner.inner_text() and "broken-link" in banner.inner_text()
    assert "no-such-page" in page.locator(".page-body").inner_text()
    source.write_text(source.read_text().replace("Now see [[no-such-page]].\n", "Fixed.\n"))
    page.wait_for_function("document.body.innerText.includes('Fixed.')", timeout=20000)
    page.wait_for_timeout(300)
    assert page.locator("#kgwiki-live").count() == 0
    assert errors == []
    page.close()
