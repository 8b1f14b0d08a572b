"""Benchmark: `kgwiki graph stats` and `kgwiki check --suggest` (unlinked mentions and suggested
links on) on the synthetic corpus (not a timed test).

    .venv/bin/python bench/bench_graph.py [N ...]      (default: 1000 10000)
"""

import sys

from common import best_of, corpus, kgwiki


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'pages':>7} {'graph stats s':>14} {'check --suggest s':>18} {'peak MB':>8}")
    for n in sizes:
        root = str(corpus(n))
        stats = best_of(3, kgwiki("graph", "--root", root, "stats", "--format", "json"))
        suggest = best_of(3, kgwiki("check", "--root", root, "--suggest", "--format", "json"))
        print(f"{n:>7} {stats['wall']:>14.2f} {suggest['wall']:>18.2f} {max(stats['peak_mb'], suggest['peak_mb']):>8.0f}")


if __name__ == "__main__":
    main()
