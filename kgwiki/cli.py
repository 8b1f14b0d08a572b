"""kgwiki: a typed knowledge-graph wiki generator.

Turns a folder of Markdown pages with typed links and citations into a checked
graph and a static website.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kgwiki import __version__
from kgwiki.config import ConfigError, find_root
from kgwiki.model import Diagnostic

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"kgwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"kgwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kgwiki: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgwiki", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kgwiki {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    check = commands.add_parser("check", help="validate the wiki and report diagnostics",
                                description="Validate the wiki: links, link types, citations, schema. "
                                            "Exit 0 when clean, 1 on errors (or warnings with --strict), "
                                            "2 on a usage or wiki.toml error.")
    _add_root(check)
    check.add_argument("--format", choices=("text", "json", "github"), default="text",
                       help="output format (default: text)")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.set_defaults(run=run_check)

    build = commands.add_parser("build", help="check the wiki and write the static site",
                                description="Check the wiki, then write the static site (default: site/) and "
                                            "graph.json, graph.graphml and report.json to build/. The site is "
                                            "written even when the wiki has errors, unless --strict.")
    _add_root(build)
    build.add_argument("--out", type=Path, default=None, help="where to write the site (default: site/ in the wiki)")
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    build.add_argument("--strict", action="store_true", help="write nothing if there are errors or warnings")
    build.set_defaults(run=run_build)
    return parser


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=None,
                        help="the wiki's folder (default: the nearest folder upwards holding wiki.toml, "
                             "else the current folder)")


def resolve_root(root: Path | None) -> Path:
    if root is None:
        return find_root(Path.cwd()) or Path.cwd()
    if not root.is_dir():
        raise UsageError(f"--root {root}: not a folder")
    return root.resolve()


def run_check(args) -> int:
    from kgwiki.pipeline import check

    result = check(resolve_root(args.root))
    print_diagnostics(result, args.format)
    return exit_code(result.diagnostics, args.strict)


def run_build(args) -> int:
    from kgwiki.pipeline import build
    from kgwiki.write import WriteError

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    try:
        result = build(resolve_root(args.root), args.out, args.jobs, args.strict)
    except WriteError as exc:
        print(f"kgwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    check = result.check
    for d in check.diagnostics:
        if d.severity == "error" or (args.strict and d.severity == "warning"):
            print(f"{d.location}: {d.severity}[{d.code}] {d.message}", file=sys.stderr)
    s = check.summary()
    print(f"{s['pages']} pages: {s['errors']} errors, {s['warnings']} warnings, {s['infos']} infos "
          f"(kgwiki check lists them all)")
    if result.files == 0:
        print("kgwiki: --strict: nothing written", file=sys.stderr)
        return EXIT_ERRORS
    seconds = sum(result.timings.values())
    print(f"wrote {result.files} files ({result.bytes / 1e6:.1f} MB) in {seconds:.1f} s")
    print(f"open {(result.site_dir / 'index.html').absolute().as_uri()}")
    return exit_code(check.diagnostics, args.strict)


def exit_code(diagnostics: list[Diagnostic], strict: bool) -> int:
    failing = {"error", "warning"} if strict else {"error"}
    return EXIT_ERRORS if any(d.severity in failing for d in diagnostics) else EXIT_OK


def print_diagnostics(result, fmt: str, stream=None) -> None:
    stream = stream or sys.stdout
    if fmt == "json":
        json.dump({"diagnostics": [d.to_dict() for d in result.diagnostics], "summary": result.summary()},
                  stream, indent=2, ensure_ascii=False)
        stream.write("\n")
        return
    for d in result.diagnostics:
        if fmt == "github":
            stream.write(github_annotation(d) + "\n")
        else:
            stream.write(f"{d.location}: {d.severity}[{d.code}] {d.message}\n")
            if d.hint:
                stream.write(f"    hint: {d.hint}\n")
    s = result.summary()
    line = (f"{s['pages']} pages, {s['links']} links, {s['citations']} citations: "
            f"{s['errors']} errors, {s['warnings']} warnings, {s['infos']} infos")
    print(line, file=sys.stderr if fmt == "github" else stream)


def github_annotation(d: Diagnostic) -> str:
    level = {"error": "error", "warning": "warning"}.get(d.severity, "notice")
    props = [f"file={_gh_escape(d.location.path, True)}"]
    if d.location.line is not None:
        props.append(f"line={d.location.line}")
    if d.location.col is not None:
        props.append(f"col={d.location.col}")
    props.append(f"title={_gh_escape(d.code, True)}")
    message = d.message + (f" ({d.hint})" if d.hint else "")
    return f"::{level} {','.join(props)}::{_gh_escape(message, False)}"


def _gh_escape(text: str, prop: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text
