"""kgwiki serve: incremental rebuilds equal clean builds; the HTTP side is safe and live."""

import http.client
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kgwiki.pipeline import build
from kgwiki.serve import Session, serve
from tests.test_incremental import EDITS, generate, tree

REPO = Path(__file__).resolve().parent.parent


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*.md")}


def changed_files(root: Path, before: dict[str, bytes]) -> set[Path]:
    """What a file watcher would report: every page created, modified or deleted (by content)."""
    now = snapshot(root)
    return {Path(p) for p in set(now) | set(before) if now.get(p) != before.get(p)}


@pytest.mark.parametrize("seed", [4, 5, 6, 11])
def test_session_updates_match_a_clean_build(tmp_path, seed):
    rng = random.Random(seed)
    root = tmp_path / "wiki"
    generate(40, root, seed=seed)
    session = Session(root, tmp_path / "live", jobs=1)
    kinds = set()
    for step in range(8):
        before = snapshot(root)
        for _ in range(rng.randint(1, 2)):
            rng.choice(EDITS)(rng, root)
        update = session.apply(changed_files(root, before))
        kinds.add(update.kind)
        build(root, tmp_path / f"clean-{step}", jobs=1, incremental=False)
        live, clean = tree(tmp_path / "live"), tree(tmp_path / f"clean-{step}")
        assert live.keys() == clean.keys(), f"seed {seed} step {step}: {set(live) ^ set(clean)}"
        differ = [p for p in live if live[p] != clean[p]]
        assert not differ, f"seed {seed} step {step} ({update.kind}): {differ[:5]}"
    assert "prose" in kinds or "structure" in kinds


def test_prose_edit_rewrites_only_that_page(tmp_path):
    root = tmp_path / "wiki"
    generate(40, root)
    session = Session(root, tmp_path / "live", jobs=1)
    page = root / "concepts" / "concept-00005.md"
    page.write_text(page.read_text().replace("## Definition\n", "## Definition\n\nOne more sentence.\n", 1))
    update = session.apply({page})
    assert update.kind == "prose"
    assert set(update.rendered) <= {"concept-00005.html", "assets/search-index.js", "health.html"}
    assert "One more sentence." in (tmp_path / "live" / "concept-00005.html").read_text()


def test_broken_then_fixed_page(tmp_path):
    root = tmp_path / "wiki"
    generate(20, root)
    session = Session(root, tmp_path / "live", jobs=1)
    page = root / "concepts" / "concept-00003.md"
    good = page.read_text()
    page.write_text(good + "\n[[no-such-page]]\n")
    session.apply({page})
    assert any(d["code"] == "broken-link" for d in session.diagnostics_for("/concept-00003.html"))
    page.write_text(good)
    session.apply({page})
    assert not any(d["code"] == "broken-link" for d in session.diagnostics_for("/concept-00003.html"))


@pytest.fixture
def running(tmp_path):
    root = tmp_path / "wiki"
    generate(25, root)
    stop = threading.Event()
    started = {}
    ready = threading.Event()

    def on_ready(port, session):
        started.update(port=port, session=session)
        ready.set()

    thread = threading.Thread(target=serve, kwargs=dict(root=root, port=0, jobs=1, ready=on_ready, stop=stop),
                              daemon=True)
    thread.start()
    assert ready.wait(60)
    yield root, started["port"], started["session"]
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def test_serves_pages_with_live_reload_and_nothing_outside(running):
    root, port, _ = running
    status, body = get(port, "/index.html")
    assert status == 200 and b"/__kgwiki/live.js" in body
    assert get(port, "/assets/kgwiki.css")[0] == 200
    for bad in ("/../wiki.toml", "/%2e%2e/wiki.toml", "/..%2f..%2fetc/passwd", "/../../../../etc/passwd"):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"GET {bad} HTTP/1.0\r\n\r\n".encode())
        reply = sock.recv(200)
        sock.close()
        assert reply.startswith(b"HTTP/1.0 404"), (bad, reply)


def test_edit_reaches_the_browser_event_stream(running):
    root, port, session = running
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", "/__kgwiki/events")
    stream = conn.getresponse()
    first = stream.fp.readline()
    assert first.startswith(b"data: ")
    build_id = int(first.split()[1])
    page = root / "concepts" / "concept-00002.md"
    page.write_text(page.read_text().replace("## Definition\n", "## Definition\n\nLive edit.\n", 1))
    deadline = time.time() + 15
    while time.time() < deadline:
        line = stream.fp.readline()
        if line.startswith(b"data: ") and int(line.split()[1]) > build_id:
            break
    else:
        pytest.fail("no reload event after an edit")
    assert b"Live edit." in get(port, "/concept-00002.html")[1]
    conn.close()


def test_survives_a_client_that_disconnects_mid_response(running):
    _, port, _ = running
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /assets/vis-network.min.js HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    assert get(port, "/index.html")[0] == 200


def test_ctrl_c_stops_cleanly(tmp_path):
    root = tmp_path / "wiki"
    generate(15, root)
    proc = subprocess.Popen([sys.executable, "-m", "kgwiki", "serve", "--root", str(root), "--port", "0"],
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    line = proc.stderr.readline()
    assert "serving" in line, line
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(15) == 0
    rest = proc.stderr.read()
    assert "stopped" in rest and "Traceback" not in rest
