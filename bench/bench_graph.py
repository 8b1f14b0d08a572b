"""Benchmark: `kgwiki graph stats` and `kgwiki check --suggest` (unlinked mentions and suggested
links on) on the synthetic corpus (not a timed test).

    .venv/bin/python bench/bench_graph.py [N ...]      (default: 1000 10000)

Prints the whole commands (best of 3 wall times, peak memory), then, in process on a wiki
loaded once, the stages these commands and `kgwiki cite --check` add to reading, parsing and
resolving: unlinked mentions, suggested links, the statistics and the citation backfill's plan
(best of 3 each, the garbage collector paused as in `check`). Stage times are steadier than
wall times on a shared machine, and they are what this part of kgwiki controls.
"""

import gc
import sys
import time

from common import REPO, best_of, corpus, kgwiki, run

sys.path.insert(0, str(REPO))


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'pages':>7} {'graph stats s':>14} {'(cold)':>7} {'check --suggest s':>18} {'(cold)':>7} {'peak MB':>8}")
    for n in sizes:
        root = corpus(n)
        run(kgwiki("check", "--root", str(root)))  # fills the page cache
        stats = best_of(3, kgwiki("graph", "--root", str(root), "stats", "--format", "json"))
        suggest = best_of(3, kgwiki("check", "--root", str(root), "--suggest", "--format", "json"))
        # cold: every page read and parsed, as on a first run (no page cache)
        cold_stats = best_of(3, kgwiki("graph", "--root", str(root), "stats", "--format", "json"),
                             before=lambda: drop_page_cache(root))
        cold_suggest = best_of(3, kgwiki("check", "--root", str(root), "--suggest", "--format", "json", "--no-cache"))
        print(f"{n:>7} {stats['wall']:>14.2f} {cold_stats['wall']:>7.2f} {suggest['wall']:>18.2f} "
              f"{cold_suggest['wall']:>7.2f} {max(stats['peak_mb'], suggest['peak_mb']):>8.0f}")
        run(kgwiki("check", "--root", str(root)))  # leave the page cache as it was
    print(f"\n{'pages':>7} {'mentions s':>11} {'suggestions s':>14} {'stats s':>8} {'cite plan s':>12}  (in process)")
    for n in sizes:
        times = stage_times(corpus(n))
        print(f"{n:>7} {times['mentions']:>11.3f} {times['suggestions']:>14.3f} {times['stats']:>8.3f} "
              f"{times['cite plan']:>12.3f}")


def drop_page_cache(root) -> None:
    (root / "build" / "cache" / "pages.pickle").unlink(missing_ok=True)


def stage_times(root) -> dict[str, float]:
    from kgwiki import analysis, cite
    from kgwiki.pipeline import load_wiki

    wiki = load_wiki(root)
    stages = {"mentions": analysis.unlinked_mentions, "suggestions": analysis.suggested_links,
              "stats": analysis.stats, "cite plan": cite.plan}
    gc.disable()
    try:
        return {name: best_time(lambda: stage(wiki)) for name, stage in stages.items()}
    finally:
        gc.enable()


def best_time(call, times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    main()
