"""Benchmark: the graph explorer in headless Chromium (Debian's package), not a timed test.

    .venv/bin/python bench/bench_explorer.py [N ...]      (default: 1000 10000)

Builds the synthetic corpus of N pages, opens graph.html from disk and prints the
time to first draw (navigation start to the network's first `afterDrawing`), the
time of a redraw after a mouse-wheel zoom (edges hidden while zooming, as the
explorer sets), and a full redraw with every edge. Median of 3 runs.
"""

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import corpus, kgwiki, run

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

MEASURE_REDRAW = """async ([kind]) => {
  const net = window.kgwikiExplorer.network;
  const done = new Promise(resolve => net.once("afterDrawing", resolve));
  const start = performance.now();
  if (kind === "full") net.redraw();
  await done;
  return performance.now() - start;
}"""


def measure(site: Path, browser) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((site / "graph.html").as_uri())
    page.wait_for_function("window.kgwikiExplorer && window.kgwikiExplorer.firstDraw", timeout=120000)
    first = page.evaluate("window.kgwikiExplorer.firstDraw")
    box = page.locator("#explorer-canvas canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate("""() => {
        const net = window.kgwikiExplorer.network;
        window.__zoom = new Promise(resolve => {
            const start = performance.now();
            net.once("zoom", () => net.once("afterDrawing", () => resolve(performance.now() - start)));
        });
        return true;
    }""")
    page.mouse.wheel(0, -300)
    zoom = page.evaluate("window.__zoom")
    full = page.evaluate(MEASURE_REDRAW, ["full"])
    page.close()
    return {"first": first, "zoom": zoom, "full": full}


def main() -> None:
    from playwright.sync_api import sync_playwright

    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'nodes':>7} {'edges':>7} {'first draw ms':>14} {'zoom redraw ms':>15} {'full redraw ms':>15}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        for n in sizes:
            root = corpus(n)
            with tempfile.TemporaryDirectory() as tmp:
                site = Path(tmp) / "site"
                run(kgwiki("build", "--root", str(root), "--out", str(site)))
                edges = (site / "assets" / "graph-data.js").read_text().count('"from"')
                runs = [measure(site, browser) for _ in range(3)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{n:>7} {edges:>7} {med['first']:>14.0f} {med['zoom']:>15.0f} {med['full']:>15.0f}")
        browser.close()


if __name__ == "__main__":
    main()
