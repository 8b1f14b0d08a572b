"""kgwiki: a typed knowledge-graph wiki generator.

Turns a folder of Markdown pages with typed links and citations into a checked
graph and a static website.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from kgwiki import __version__
from kgwiki.config import ConfigError, find_root
from kgwiki.model import Diagnostic

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None, one_shot: bool = False) -> int:
    """Run a command. `one_shot`: this process ends with the command (the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    if one_shot and args.command != "serve":
        # A wiki is a million small objects, nearly none in cycles: the cyclic collector would
        # walk them all again and again (0.4 s for the first lists made after loading 10,000
        # pages) to free almost nothing before the process ends anyway.
        gc.disable()
        _KEPT.enabled = True
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


def run() -> None:
    """The console script: main(), then exit without tearing down the interpreter's objects.

    Freeing a large wiki's millions of objects one by one at exit takes about a second at
    10,000 pages; every file is already written and closed, so exit at once."""
    code = main(one_shot=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _Kept(list):
    """What a one-shot command loaded, held until the process ends with os._exit: freed object by
    object as the command's function returns, a 10,000-page wiki costs ~0.2 s."""

    enabled = False

    def __call__(self, value):
        if self.enabled:
            self.append(value)
        return value


_KEPT = _Kept()


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
    check.add_argument("--suggest", action="store_true",
                       help="also report unlinked mentions and suggested links (info: writer's aids, not defects)")
    check.add_argument("--no-cache", action="store_true",
                       help="read and parse every page, and leave build/cache/ alone")
    check.set_defaults(run=run_check)

    build = commands.add_parser("build", help="check the wiki and write the static site",
                                description="Check the wiki, then write the static site (default: site/) and "
                                            "graph.json, graph.graphml and report.json to build/. The site is "
                                            "written even when the wiki has errors, unless --strict.")
    _add_root(build)
    build.add_argument("--out", type=Path, default=None, help="where to write the site (default: site/ in the wiki)")
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    build.add_argument("--strict", action="store_true", help="write nothing if there are errors or warnings")
    build.add_argument("--clean", action="store_true", help="ignore build/cache: parse and render everything")
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
    _add_root(imp, after_command=True)
    imp.add_argument("--folder", default=None, help="where to create pages (default: the source type's folder)")
    exp = sources_cmd.add_parser("export", help="write every source as BibTeX or CSL-JSON")
    exp.add_argument("--format", choices=("bibtex", "csl-json"), default="bibtex")
    exp.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    _add_root(exp, after_command=True)
    sources.set_defaults(run=run_sources)

    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild and reload on every edit",
                                description="Build the site, serve it (loopback only unless --host says otherwise), "
                                            "watch the pages and wiki.toml, rebuild what an edit affects and reload "
                                            "open browser tabs. Diagnostics show in the terminal and in the page.")
    _add_root(serve)
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--out", type=Path, default=None, help="where to write the site (default: site/)")
    serve.add_argument("--jobs", type=int, default=None, help="worker processes for full builds")
    serve.set_defaults(run=run_serve)

    new = commands.add_parser("new", help="create a page with the fields and sections its type requires",
                              description="Create a page of TYPE titled TITLE in that type's folder, with the "
                                          "front-matter fields and sections wiki.toml requires; never overwrites.")
    _add_root(new)
    new.add_argument("type", metavar="TYPE", help="a page type from wiki.toml (concept, agenda, source, …)")
    new.add_argument("title", metavar="TITLE")
    new.set_defaults(run=run_new)

    graph = commands.add_parser("graph", help="ask the graph questions; export it",
                                description="Query the typed graph: statistics, neighbourhoods, paths, reading "
                                            "orders; export it for Gephi, D3, networkx or RDF tools.")
    _add_root(graph)
    graph_cmd = graph.add_subparsers(title="questions", metavar="QUESTION", dest="question")
    g_stats = graph_cmd.add_parser("stats", help="pages and links by type, components, central pages, clusters")
    g_near = graph_cmd.add_parser("neighbors", help="pages within --depth links of SLUG")
    g_near.add_argument("slug", metavar="SLUG")
    g_near.add_argument("--depth", type=int, default=1)
    g_near.add_argument("--type", dest="link_type", default=None, metavar="LINKTYPE", help="follow only this link type")
    g_path = graph_cmd.add_parser("path", help="the shortest chain of typed links from A to B")
    g_path.add_argument("a", metavar="A")
    g_path.add_argument("b", metavar="B")
    g_path.add_argument("--type", dest="link_type", default=None, metavar="LINKTYPE", help="follow only this link type")
    g_read = graph_cmd.add_parser("read", help="the prerequisites of SLUG (requires), in reading order")
    g_read.add_argument("slug", metavar="SLUG")
    g_export = graph_cmd.add_parser("export", help="write the graph as json, graphml, gexf or jsonld")
    g_export.add_argument("--format", dest="export_format", choices=("json", "graphml", "gexf", "jsonld"), default="json")
    g_export.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    for sub in (g_stats, g_near, g_path, g_read):
        sub.add_argument("--format", choices=("text", "json"), default="text")
    graph.set_defaults(run=run_graph)

    suggest = commands.add_parser("suggest", help="links the graph suggests adding, ranked",
                                  description="Graph evidence for missing typed links (an unreciprocated symmetric "
                                              "link, two pages citing the same sources, many common neighbours) and "
                                              "prose that names a page without linking it.")
    _add_root(suggest)
    suggest.add_argument("page", nargs="?", metavar="PAGE", help="only suggestions for this page")
    suggest.add_argument("--format", choices=("text", "json"), default="text")
    suggest.set_defaults(run=run_suggest)
    return parser


def _add_root(parser: argparse.ArgumentParser, after_command: bool = False) -> None:
    """--root; on a sub-subcommand it must not reset a --root given before the action."""
    parser.add_argument("--root", type=Path, default=argparse.SUPPRESS if after_command else None,
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

    result = _KEPT(check(resolve_root(args.root), suggestions=args.suggest, cache=not args.no_cache))
    print_diagnostics(result, args.format)
    return exit_code(result.diagnostics, args.strict)


def run_build(args) -> int:
    from kgwiki.pipeline import build
    from kgwiki.write import WriteError

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    try:
        result = _KEPT(build(resolve_root(args.root), args.out, args.jobs, args.strict, incremental=not args.clean,
                             progress=progress_printer()))
    except WriteError as exc:
        print(f"kgwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for d in result.diagnostics:
        if d.severity == "error" or (args.strict and d.severity == "warning"):
            print(f"{d.location}: {d.severity}[{d.code}] {d.message}", file=sys.stderr)
    s = result.summary
    print(f"{s['pages']} pages: {s['errors']} errors, {s['warnings']} warnings, {s['infos']} infos "
          f"(kgwiki check lists them all)")
    seconds = sum(result.timings.values())
    if result.up_to_date:
        print(f"site is up to date: nothing changed since the last build ({seconds:.1f} s)")
    elif result.files == 0:
        print("kgwiki: --strict: nothing written", file=sys.stderr)
        return EXIT_ERRORS
    else:
        reused = f", {result.reused} pages unchanged" if result.reused else ""
        print(f"wrote {result.files} files ({result.bytes / 1e6:.1f} MB) in {seconds:.1f} s: "
              f"{result.rendered} pages rendered{reused}")
    print(f"open {(result.site_dir / 'index.html').absolute().as_uri()}")
    return exit_code(result.diagnostics, args.strict)


def run_cite(args) -> int:
    from kgwiki.pipeline import load_wiki

    # the backfill needs resolved citations, not every rule; unchanged pages come from the page cache
    wiki = _KEPT(load_wiki(resolve_root(args.root), cache=True))
    from kgwiki import cite  # imported after: load_wiki imports networkx while the files are parsed
    from kgwiki.validate import citation_problems
    slugs = select_pages(wiki, args.pages) if args.pages else None
    chosen_paths = {wiki.pages[s].path for s in slugs} if slugs is not None else None
    for d in sorted(citation_problems(wiki), key=lambda d: d.sort_key):
        if d.code in ("unresolved-citation", "ambiguous-citation", "citation-year-mismatch") and \
                (chosen_paths is None or d.location.path in chosen_paths):
            print(f"{d.location}: {d.severity}[{d.code}] {d.message}" + (f" ({d.hint})" if d.hint else ""),
                  file=sys.stderr)
    plans = cite.plan(wiki, slugs, check_only=args.check)
    broken = [p for p in plans if p.problem]
    for p in broken:
        level = wiki.config.severity_of("stale-sources-cited")
        print(f"{p.location or p.path}: {level}[stale-sources-cited] {p.problem}; page left untouched", file=sys.stderr)
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


def run_serve(args) -> int:
    from kgwiki.serve import serve
    from kgwiki.write import WriteError

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"kgwiki: warning: serving on {args.host} makes the site reachable from other machines",
              file=sys.stderr)
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    try:
        serve(resolve_root(args.root), args.host, args.port, args.jobs, args.out)
    except WriteError as exc:
        print(f"kgwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"kgwiki: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def run_new(args) -> int:
    from kgwiki.config import load_config
    from kgwiki.pages import new_page
    from kgwiki.pipeline import check

    root = resolve_root(args.root)
    config = load_config(root)
    if args.type not in config.types:
        raise UsageError(f"unknown page type {args.type!r} (wiki.toml declares: {', '.join(sorted(config.types))})")
    wiki = _KEPT(check(root, config).wiki)
    path, problem = new_page(wiki, args.type, args.title)
    if problem:
        print(f"kgwiki: {problem}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"created {path}")
    return EXIT_OK


def run_graph(args) -> int:
    from kgwiki import analysis, indexes
    from kgwiki.pipeline import load_wiki

    if not args.question:
        raise UsageError("graph: say stats, neighbors SLUG, path A B, read SLUG or export")
    wiki = _KEPT(load_wiki(resolve_root(args.root), cache=True))
    if args.question == "export":
        data = indexes.EXPORTS[args.export_format](wiki)
        if args.out:
            from kgwiki.write import atomic_write
            atomic_write(args.out.absolute(), data)
            print(f"wrote {wiki.graph.number_of_nodes()} pages and {wiki.graph.number_of_edges()} links to {args.out}",
                  file=sys.stderr)
        else:
            sys.stdout.buffer.write(data)
        return EXIT_OK
    if args.question == "stats":
        return _print(args.format, _stats_json(analysis.stats(wiki)), _stats_text)
    if args.question == "neighbors":
        if args.depth < 1:
            raise UsageError("--depth must be at least 1")
        slug = page_slug(wiki, args.slug)
        found = analysis.neighbors(wiki, slug, args.depth, args.link_type)
        data = {"slug": slug, "neighbors": [_step_json(wiki, s) | {"depth": d} for d, s in found]}
        return _print(args.format, data, lambda d: "\n".join(
            f"{'  ' * (n['depth'] - 1)}{_arrow(n)} {n['to']}  ({n['title']})" for n in d["neighbors"]) or "no neighbours")
    if args.question == "path":
        a, b = page_slug(wiki, args.a), page_slug(wiki, args.b)
        steps = analysis.shortest_path(wiki, a, b, args.link_type)
        if steps is None:
            print(f"no path from {a} to {b}" + (f" along `{args.link_type}` links" if args.link_type else ""),
                  file=sys.stderr)
            return EXIT_ERRORS
        data = {"from": a, "to": b, "steps": [_step_json(wiki, s) for s in steps]}
        return _print(args.format, data, lambda d: "\n".join(
            [d["from"]] + [f"  {_arrow(s)} {s['to']}" for s in d["steps"]]))
    if args.question == "read":
        slug = page_slug(wiki, args.slug)
        order = analysis.reading_order(wiki, slug)
        data = {"slug": slug, "read_first": [{"slug": s, "title": wiki.pages[s].title} for s in order]}
        return _print(args.format, data, lambda d: "\n".join(
            [f"{i}. {p['title']} [[{p['slug']}]]" for i, p in enumerate(d["read_first"], 1)]
            + [f"then: {wiki.pages[slug].title} [[{slug}]]"]) if d["read_first"] else
            f"{wiki.pages[slug].title} has no prerequisites")
    raise UsageError(f"graph: unknown question {args.question}")


def run_suggest(args) -> int:
    from kgwiki import analysis
    from kgwiki.pipeline import load_wiki

    wiki = _KEPT(load_wiki(resolve_root(args.root), cache=True))
    only = page_slug(wiki, args.page) if args.page else None
    links = [s for s in analysis.suggested_links(wiki) if only in (None, s.page)]
    mentions = [m for m in analysis.unlinked_mentions(wiki) if only in (None, m.page)]
    data = {"links": [{"page": s.page, "target": s.target, "link_type": s.link_type, "evidence": s.evidence,
                       "kind": s.kind, "score": s.score} for s in links],
            "mentions": [{"page": m.page, "path": m.location.path, "line": m.location.line, "col": m.location.col,
                          "text": m.text, "target": m.target} for m in mentions]}

    def text(d):
        rows = [f"{s['page']}: add a `{s['link_type']}` link to [[{s['target']}]] ({s['evidence']})" for s in d["links"]]
        rows += [f"{m['path']}:{m['line']}:{m['col']}: link '{m['text']}' to [[{m['target']}]]" for m in d["mentions"]]
        return "\n".join(rows) or "no suggestions"
    return _print(args.format, data, text)


def page_slug(wiki, name: str) -> str:
    """A page named on the command line: slug, alias or title; unknown names get suggestions."""
    slug = name if name in wiki.pages else wiki.names.resolve(name)
    if slug is None:
        from kgwiki.validate import Suggester
        hint = Suggester(wiki).hint(name)
        raise UsageError(f"no page {name!r}" + (f"; {hint}" if hint else ""))
    return slug


def _step_json(wiki, step) -> dict:
    return {"from": step.source, "to": step.target, "link_type": step.link_type,
            "direction": "forward" if step.forward else "backward", "title": wiki.pages[step.target].title}


def _arrow(step: dict) -> str:
    return f"--{step['link_type']}-->" if step["direction"] == "forward" else f"<--{step['link_type']}--"


def _stats_json(st) -> dict:
    return {"pages_by_type": st.pages_by_type, "links_by_type": st.links_by_type,
            "components": {"count": len(st.components), "sizes": st.components[:20]},
            "orphans": st.orphans,
            "pagerank": [{"slug": s, "score": round(v, 6)} for s, v in st.pagerank],
            "betweenness": [{"slug": s, "score": round(v, 6)} for s, v in st.betweenness],
            "betweenness_exact": st.betweenness_exact,
            "clusters": [{"size": size, "central": center, "members": members}
                         for size, center, members in st.clusters]}


def _stats_text(d: dict) -> str:
    lines = ["Pages: " + ", ".join(f"{n} {t}" for t, n in d["pages_by_type"].items()),
             "Links: " + ", ".join(f"{n} {t}" for t, n in d["links_by_type"].items()),
             f"Connected components: {d['components']['count']} (largest {d['components']['sizes'][:1]})",
             f"Orphans: {len(d['orphans'])}" + (f" ({', '.join(d['orphans'][:10])})" if d["orphans"] else ""),
             "Most central (PageRank): " + ", ".join(p["slug"] for p in d["pagerank"]),
             "Brokers (betweenness" + ("" if d["betweenness_exact"] else ", sampled") + "): "
             + ", ".join(p["slug"] for p in d["betweenness"]),
             f"Clusters (Louvain): {len(d['clusters'])}"]
    lines += [f"  {c['size']:>5} pages around {c['central']}" for c in d["clusters"][:15]]
    return "\n".join(lines)


def _print(fmt: str, data: dict, text) -> int:
    if fmt == "json":
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(text(data))
    return EXIT_OK


def progress_printer(stream=None):
    """`pages done / total` on a terminal for builds over a second; nothing when not a TTY."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    import time

    start = time.monotonic()
    shown = [False]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - start < 1.0 and not shown[0]:
            return
        shown[0] = True
        end = "\n" if done >= total else ""
        stream.write(f"\rrendering pages: {done}/{total}{end}")
        stream.flush()
    return progress


def exit_code(diagnostics: list[Diagnostic], strict: bool) -> int:
    failing = {"error", "warning"} if strict else {"error"}
    return EXIT_ERRORS if any(d.severity in failing for d in diagnostics) else EXIT_OK


def print_diagnostics(result, fmt: str, stream=None) -> None:
    stream = stream or sys.stdout
    if fmt == "json":
        data = {"diagnostics": [d.to_dict() for d in result.diagnostics], "summary": result.summary()}
        stream.write(_json_text(data, indent=len(result.diagnostics) <= 2000) + "\n")  # past that, compact
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


def _json_text(data, indent: bool) -> str:
    """`json.dumps(data, indent=2 or None, ensure_ascii=False)`, by orjson: the standard encoder
    spends ~0.15 s on the 30,000 diagnostics a large wiki can have."""
    import orjson

    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate (an undecodable file name)
        return json.dumps(data, indent=2 if indent else None, ensure_ascii=False)


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
