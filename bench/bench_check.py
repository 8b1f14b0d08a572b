"""Benchmark: `kgwiki check` on the synthetic corpus (not a timed test).

    .venv/bin/python bench/bench_check.py [N ...]      (default: 1000 10000)

Prints wall time, CPU time, pages/s and peak memory (best of 3 runs).
"""

import sys

from common import best_of, corpus, kgwiki


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'pages':>7} {'wall s':>8} {'cpu s':>8} {'pages/s':>9} {'peak MB':>8} {'cite --check s':>15}")
    for n in sizes:
        root = corpus(n)
        r = best_of(3, kgwiki("check", "--root", str(root), "--format", "json"))
        c = best_of(3, kgwiki("cite", "--root", str(root), "--check"))
        print(f"{n:>7} {r['wall']:>8.2f} {r['cpu']:>8.2f} {n / r['wall']:>9.0f} {r['peak_mb']:>8.0f} {c['wall']:>15.2f}")


if __name__ == "__main__":
    main()
