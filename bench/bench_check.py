"""Benchmark: `kgwiki check` on the synthetic corpus (not a timed test).

    .venv/bin/python bench/bench_check.py [N ...]      (default: 1000 10000)

Prints, best of 3 runs: `check --no-cache` (every page read and parsed: a first check),
`check` with its page cache warm (nothing changed since the last check; the common case
in an editing loop or a pre-commit hook), and `cite --check` after it. Wall time, CPU time
of the process and its workers, pages/s and peak memory of the largest process. Then how long
a fixed pure-Python loop took before and after: this virtual machine's speed changes from one
minute to the next, and a time divided by the loop's can be compared across minutes.
"""

import sys

from common import best_of, corpus, kgwiki, reference_seconds, run


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    before = reference_seconds()
    print(f"{'pages':>7} {'cold s':>7} {'cpu s':>6} {'pages/s':>8} {'peak MB':>8} "
          f"{'warm s':>7} {'cpu s':>6} {'peak MB':>8} {'cite --check s':>15}")
    for n in sizes:
        root = str(corpus(n))
        cold = best_of(3, kgwiki("check", "--root", root, "--format", "json", "--no-cache"))
        run(kgwiki("check", "--root", root, "--format", "json"))  # fills the page cache
        warm = best_of(3, kgwiki("check", "--root", root, "--format", "json"))
        cite = best_of(3, kgwiki("cite", "--root", root, "--check"))
        last_cold = cold["wall"]
        print(f"{n:>7} {cold['wall']:>7.2f} {cold['cpu']:>6.2f} {n / cold['wall']:>8.0f} {cold['peak_mb']:>8.0f} "
              f"{warm['wall']:>7.2f} {warm['cpu']:>6.2f} {warm['peak_mb']:>8.0f} {cite['wall']:>15.2f}")
    after = reference_seconds()
    print(f"reference loop (how fast the machine was): {before:.2f} s before, {after:.2f} s after; "
          f"the last cold check took {last_cold / ((before + after) / 2):.2f}x the loop")


if __name__ == "__main__":
    main()
