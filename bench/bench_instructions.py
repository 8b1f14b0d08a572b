"""Benchmark: instructions a page for `check`'s stages, counted by valgrind (not a timed test).

    .venv/bin/python bench/bench_instructions.py [N]      (default: 1000 pages)

Wall time on a shared virtual machine moves by half from one minute to the next; the number
of instructions a stage executes does not. This counts them with valgrind's cachegrind
(`apt-get install valgrind`), in one process without workers, on the N-page corpus:
reading and parsing a page, pickling and unpickling its result (what
crosses from a worker to the parent), and resolving and validating (the stages after the
parse, which run in the parent alone) with the JSON report. Each figure is the difference
between two runs that stop before and after the stage, divided by N.
"""

import gc
import io
import pickle
import shutil
import subprocess
import sys

from common import REPO, corpus

STAGES = ("start", "parsed", "pickled", "validated")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--stop-after":
        run_until(sys.argv[2], int(sys.argv[3]))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    corpus(n)
    counts = {stage: instructions(stage, n) for stage in STAGES}
    print(f"instructions a page, {n}-page corpus")
    print(f"  read + parse          {(counts['parsed'] - counts['start']) / n:>12,.0f}")
    print(f"  pickle + unpickle     {(counts['pickled'] - counts['parsed']) / n:>12,.0f}")
    print(f"  resolve + validate    {(counts['validated'] - counts['pickled']) / n:>12,.0f}  (and the JSON report)")


def instructions(stage: str, n: int) -> int:
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          sys.executable, __file__, "--stop-after", stage, str(n)],
                         capture_output=True, text=True, check=True, cwd=REPO).stderr
    line = next(l for l in out.splitlines() if "I   refs:" in l or "I refs:" in l)
    return int(line.split(":")[1].replace(",", ""))


def run_until(stage: str, n: int) -> None:
    gc.disable()  # as the command line runs
    from kgwiki import cli, pipeline
    from kgwiki.config import load_config
    from kgwiki.parse import parse_page
    from kgwiki.read import find_files, read_file

    import kgwiki.graph, kgwiki.validate, numpy, rapidfuzz.process  # noqa: E401,F401 (imported by every stage)
    config = load_config(corpus(n))
    files = find_files(config).pages
    if stage == "start":
        return
    results = [parse_page(read_file(path, rel)[0], config) for rel, path, _ in files]
    if stage == "parsed":
        return
    results = pickle.loads(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    if stage == "pickled":
        return
    result = pipeline._resolve_and_validate(config, results, {})
    cli.print_diagnostics(result, "json", io.StringIO())


if __name__ == "__main__":
    main()
