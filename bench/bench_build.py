"""Benchmark: `kgwiki build` on the synthetic corpus (not a timed test).

    .venv/bin/python bench/bench_build.py [N ...]      (default: 1000 10000)

Prints wall and CPU time, pages/s, peak memory, and output size: average HTML
bytes per page and the shared assets (loaded once, cached by the browser).
"""

import shutil
import sys
import tempfile
from pathlib import Path

from common import best_of, corpus, kgwiki


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'pages':>7} {'wall s':>8} {'cpu s':>8} {'pages/s':>9} {'peak MB':>8} {'KB/page':>8} {'assets MB':>10}"
          f" {'no-change s':>12}")
    for n in sizes:
        root = corpus(n)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "site"
            r = best_of(2 if n >= 10000 else 3, kgwiki("build", "--root", str(root), "--out", str(out), "--clean"))
            again = best_of(3, kgwiki("build", "--root", str(root), "--out", str(out)))  # nothing changed
            pages = [p for p in out.rglob("*.html")]
            html = sum(p.stat().st_size for p in pages) / len(pages)
            assets = sum(p.stat().st_size for p in (out / "assets").iterdir())
            shutil.rmtree(root / "build", ignore_errors=True)
        print(f"{n:>7} {r['wall']:>8.2f} {r['cpu']:>8.2f} {n / r['wall']:>9.0f} {r['peak_mb']:>8.0f} "
              f"{html / 1024:>8.1f} {assets / 1e6:>10.1f} {again['wall']:>12.2f}")


if __name__ == "__main__":
    main()
