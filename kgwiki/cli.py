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

    cite = commands.add_parser("cite", help="rewrite each page's generated Sources cited block",
                               description="The citation backfill (also scripts/backfill_citations.py): for each "
                                           "page, collect the sources its prose cites and rewrite only the text "
                                           "between the kgwiki:sources-cited markers (adding the section when "
                                           "missing). Unresolved or ambiguous citations are reported, never guessed.")
    _add_root(cite)
    mode = cite.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 and list pages whose block is stale")
    mode.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    cite.add_argument("pages", nargs="*", metavar="PAGE", help="only these pages (slug or file path)")
    cite.set_defaults(run=run_cite)

    sources = commands.add_parser("sources", help="import or export the bibliography (BibTeX, CSL-JSON)",
                                  description="Import source pages from BibTeX, or export every source.")
    _add_root(sources)
    sources_cmd = sources.add_subparsers(title="actions", metavar="ACTION", dest="action")
    imp = sources_cmd.add_parser("import", help="create one source page per BibTeX entry (never overwrites)")
    imp.add_argument("file", type=Path, metavar="FILE.bib")
    imp.add_argument("--folder", default=None, help="where to create pages (default: the source type's folder)")
    exp = sources_cmd.add_parser("export", help="write every source as BibTeX or CSL-JSON")
    exp.add_argument("--format", choices=("bibtex", "csl-json"), default="bibtex")
    exp.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    sources.set_defaults(run=run_sources)
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


def run_cite(args) -> int:
    from kgwiki import cite
    from kgwiki.pipeline import check

    result = check(resolve_root(args.root))
    wiki = result.wiki
    slugs = select_pages(wiki, args.pages) if args.pages else None
    chosen_paths = {wiki.pages[s].path for s in slugs} if slugs is not None else None
    for d in result.diagnostics:
        if d.code in ("unresolved-citation", "ambiguous-citation", "citation-year-mismatch") and \
                (chosen_paths is None or d.location.path in chosen_paths):
            print(f"{d.location}: {d.severity}[{d.code}] {d.message}" + (f" ({d.hint})" if d.hint else ""),
                  file=sys.stderr)
    plans = cite.plan(wiki, slugs)
    broken = [p for p in plans if p.problem]
    for p in broken:
        print(f"{p.location or p.path}: error[stale-sources-cited] {p.problem}; page left untouched", file=sys.stderr)
    stale = [p for p in plans if p.stale]
    if args.check:
        for p in stale:
            print(f"{p.path}: Sources cited block is out of date")
        print(f"{len(stale)} of {len(plans)} pages need `kgwiki cite`", file=sys.stderr)
        return EXIT_ERRORS if stale or broken else EXIT_OK
    if args.diff:
        for p in stale:
            sys.stdout.write(p.diff())
        return EXIT_ERRORS if broken else EXIT_OK
    failed = 0
    for outcome in cite.apply(stale):
        if outcome.written:
            print(f"updated {outcome.path}")
        else:
            failed += 1
            print(f"{outcome.path}: {outcome.problem}", file=sys.stderr)
    print(f"{len(stale) - failed} pages updated, {len(plans) - len(stale)} already up to date", file=sys.stderr)
    return EXIT_ERRORS if failed or broken else EXIT_OK


def select_pages(wiki, names: list[str]) -> list[str]:
    """Slugs for PAGE arguments given as slugs or file paths."""
    by_path = {p.path: s for s, p in wiki.pages.items()}
    chosen = []
    for name in names:
        candidate = Path(name)
        rel = None
        try:
            rel = candidate.resolve().relative_to(wiki.config.root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
        slug = by_path.get(rel) or by_path.get(name) or (name if name in wiki.pages else wiki.names.resolve(name))
        if slug is None:
            raise UsageError(f"no page {name!r} in the wiki")
        chosen.append(slug)
    return list(dict.fromkeys(chosen))


def run_sources(args) -> int:
    from kgwiki import bibtex
    from kgwiki.pipeline import check

    root = resolve_root(args.root)
    if args.action == "import":
        result = check(root)
        report = bibtex.import_file(result.wiki, args.file, args.folder)
        for path in report.created:
            print(f"created {path}")
        for problem in report.problems:
            print(f"{problem}", file=sys.stderr)
        print(f"{len(report.created)} source pages created, {len(report.problems)} entries skipped", file=sys.stderr)
        return EXIT_ERRORS if report.problems else EXIT_OK
    if args.action == "export":
        result = check(root)
        data = bibtex.export(result.wiki, args.format)
        if args.out:
            from kgwiki.write import atomic_write
            atomic_write(args.out.absolute(), data.encode("utf-8"))
            print(f"wrote {len(result.wiki.sources)} sources to {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(data)
        return EXIT_OK
    raise UsageError("sources: say `import FILE.bib` or `export`")


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
