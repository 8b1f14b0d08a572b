"""Benchmark: `kgwiki serve` from saving an edit to the rebuilt page on disk (not a timed test).

    .venv/bin/python bench/bench_serve.py [N]      (default: 10000)

Starts `kgwiki serve` on a copy of the synthetic corpus, then for each kind of edit
saves one page and waits until the page's HTML on disk shows the edit: a body-only
edit, a title change and an added link. Median of 3 edits of each kind.
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import corpus

REPO = Path(__file__).resolve().parent.parent


def wait_for(path: Path, needle: str, timeout: float = 120) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if needle in path.read_text():
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {needle!r} in {path}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "wiki"
        shutil.copytree(corpus(n), root, ignore=shutil.ignore_patterns("build", "site", ".complete"))
        proc = subprocess.Popen([sys.executable, "-m", "kgwiki", "serve", "--root", str(root), "--port", "0"],
                                stderr=subprocess.PIPE, text=True, cwd=REPO)
        started = time.perf_counter()
        while "serving" not in proc.stderr.readline():
            pass
        startup = time.perf_counter() - started
        site = root / "site"
        results = {"body edit": [], "title change": [], "added link": []}
        try:
            time.sleep(1)
            for i in range(3):
                page = root / "concepts" / f"concept-{100 + i:05d}.md"
                html = site / f"concept-{100 + i:05d}.html"
                marker = f"Benchmark sentence {i}."
                text = page.read_text()
                page.write_text(text.replace("## Definition\n", f"## Definition\n\n{marker}\n", 1))
                results["body edit"].append(wait_for(html, marker))
                time.sleep(0.5)
                title = f"Renamed {i}"
                page.write_text(page.read_text().replace("title: ", f"title: {title} ", 1))
                results["title change"].append(wait_for(html, title))
                time.sleep(0.5)
                target = f"concept-{3000 + i:05d}"
                page.write_text(page.read_text() + f"\nSee also [[{target}]].\n")
                results["added link"].append(wait_for(html, f'data-slug="{target}"'))
                time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(10)
        print(f"{n} pages; first build and serve: {startup:.1f} s")
        for kind, times in results.items():
            print(f"  {kind:13s} edit to disk: {statistics.median(times) * 1000:6.0f} ms "
                  f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)})")


if __name__ == "__main__":
    main()
