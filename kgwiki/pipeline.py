"""The pipeline: check() = read -> parse -> graph -> validate; build() adds render and write."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import functools
import gc
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor

from typing import TYPE_CHECKING

from kgwiki.config import Config, load_config
from kgwiki.model import Diagnostic, Location, ParseResult, SourceFile
from kgwiki.parse import parse_page
from kgwiki.read import find_files, read_file, read_wiki, unreadable

if TYPE_CHECKING:
    from kgwiki.graph import Wiki

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 400
CHUNK = 256


@dataclass
class CheckResult:
    config: Config
    wiki: Wiki
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def summary(self) -> dict[str, int]:
        return {
            "pages": len(self.wiki.pages),
            "links": sum(1 for r in self.wiki.links if not r.self_anchor),
            "citations": len(self.wiki.citations),
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "infos": self.count("info"),
        }


@contextmanager
def no_gc():
    """Pause the cyclic garbage collector: a wiki is ~40 small objects a page, none in cycles,
    and repeated full collections over them cost about a quarter of a large check."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _timed(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start


def check(root: Path, config: Config | None = None, jobs: int | None = None, suggestions: bool = False,
          cache: bool = False) -> CheckResult:
    """Read, parse, resolve and validate the wiki at `root`. Raises ConfigError for a bad wiki.toml.

    `suggestions` adds unlinked-mention and suggested-link to the rules. With `cache`, pages
    unchanged since the last check come from build/cache/ and the cache is brought up to date
    (only in a wiki with a wiki.toml: a bare folder of notes gets no build/ folder)."""
    timings: dict[str, float] = {}
    config = config or load_config(root)
    with no_gc():  # also while the cache loads: collections during unpickling cost 5x the unpickling
        with _timed(timings, "read+parse"):
            store = _page_cache(config) if cache and (config.root / "wiki.toml").is_file() else None
            parsed, attachments = read_and_parse_files(config, jobs, store)
        saved = store.save() if store else None  # written meanwhile, where the system can fork
        result = _resolve_and_validate(config, parsed, timings, suggestions, attachments)
        if saved:
            saved()
        return result


def load_wiki(root: Path, config: Config | None = None, jobs: int | None = None, cache: bool = False) -> Wiki:
    """Read, parse and resolve, without validating: what graph queries need. With `cache`, pages
    unchanged since the last check come from build/cache/ (which is left as it is)."""
    config = config or load_config(root)
    with no_gc():
        parsed, attachments = read_and_parse_files(config, jobs, _page_cache(config) if cache else None)
        from kgwiki.graph import build_wiki

        return build_wiki([r.page for r in parsed if r.page], config, attachments)


def _page_cache(config: Config):
    from kgwiki.cache import PageCache, settings_key

    return PageCache.load(config.root / config.build_dir / "cache", settings_key(_wiki_toml(config)))


def read_and_parse_files(config: Config, jobs: int | None = None,
                         store=None) -> tuple[list[ParseResult], tuple[str, ...]]:
    """A ParseResult for every Markdown file, and the attachments. On a large wiki the files are
    read and parsed by worker processes: the parent only lists them. Pages the page cache
    `store` holds unchanged come from it, and `store.fresh` is set to what it should hold now."""
    found = find_files(config)
    results: dict[str, ParseResult] = {}
    todo = []
    for rel, abspath, stamp in found.pages:
        hit = store.get(rel, stamp) if store else None
        if hit is None:
            todo.append((rel, abspath))
        else:
            results[rel] = hit
    parsed = _fan_out(_read_and_parse_chunk, config, todo, jobs, meanwhile=_import_later_stages)
    results.update(zip((rel for rel, _ in todo), parsed))
    if store is not None:
        store.fresh = {rel: (stamp, results[rel]) for rel, _, stamp in found.pages if results[rel].page}
    parsed = [results[rel] for rel, _, _ in found.pages]
    return parsed + [ParseResult(None, (d,)) for d in found.diagnostics], found.attachments


def _wiki_toml(config: Config) -> bytes:
    toml = config.root / "wiki.toml"
    return toml.read_bytes() if toml.is_file() else b""


def _resolve_and_validate(config: Config, parsed: list[ParseResult], timings: dict[str, float],
                          suggestions: bool = False, attachments: tuple[str, ...] = ()) -> CheckResult:
    from kgwiki.graph import build_wiki
    from kgwiki.validate import validate

    with _timed(timings, "graph"):
        wiki = build_wiki([r.page for r in parsed if r.page], config, attachments)
    with _timed(timings, "validate"):
        diagnostics = validate(wiki, [d for r in parsed for d in r.diagnostics], suggestions)
    return CheckResult(config, wiki, diagnostics, timings)


def read_sources(config: Config) -> tuple[list[SourceFile], list[ParseResult]]:
    """Every content file decoded, and a ParseResult carrying the diagnostic of each one that is not."""
    return _split(config, read_wiki(config))


def _split(config: Config, read) -> tuple[list[SourceFile], list[ParseResult]]:
    return list(read.files), [ParseResult(None, (d,)) for d in read.diagnostics]


def read_and_parse(config: Config, jobs: int | None = None, cache=None) -> list[tuple[str | None, ParseResult]]:
    """(content key, ParseResult) for every file: from `cache` when it holds the same content,
    else parsed, in parallel on large wikis (parsing is pure per-file work)."""
    sources, unreadable = read_sources(config)
    return parse_sources(config, sources, unreadable, jobs, cache)


def parse_sources(config: Config, sources: list[SourceFile], unreadable: list[ParseResult], jobs: int | None = None,
                  cache=None) -> list[tuple[str | None, ParseResult]]:
    from kgwiki.cache import content_key

    keyed = [(content_key(s), s) for s in sources] if cache is not None else [(None, s) for s in sources]
    done = {key: cache.get(key) for key, _ in keyed if cache is not None and key is not None}
    todo = [s for key, s in keyed if done.get(key) is None]
    fresh = _fan_out(_parse_chunk, config, todo, jobs)
    by_path = {r.page.path: r for r in fresh if r.page}
    results = [(key, done.get(key) or by_path[s.path]) for key, s in keyed]
    return results + [(None, r) for r in unreadable]


def _fan_out(work, config: Config, items: list, jobs: int | None, meanwhile=None) -> list[ParseResult]:
    """work(config, chunk) over chunks of `items`, in worker processes when there are enough;
    `meanwhile()` runs here while they work."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(items) < PARALLEL_THRESHOLD:
        return work(config, items)
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    results: list[ParseResult] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = pool.map(work, [config] * len(chunks), chunks)
        if meanwhile:
            meanwhile()
        for chunk_results in done:
            results.extend(chunk_results)
    return results


def _import_later_stages() -> None:
    """Import what resolving and validating need (networkx above all, ~0.15 s) while the workers
    parse: this process is mostly waiting then, and the workers, forked without it, never need it.
    rapidfuzz and numpy too: a wiki large enough for workers nearly always has a broken link to
    suggest names for, and importing them after the parse would cost ~0.1 s more."""
    import kgwiki.graph  # noqa: F401
    import kgwiki.validate  # noqa: F401
    import numpy  # noqa: F401
    import rapidfuzz.process  # noqa: F401


def _parse_chunk(config: Config, sources: list[SourceFile]) -> list[ParseResult]:
    return [parse_page(source, config) for source in sources]


def _read_and_parse_chunk(config: Config, files: list[tuple[str, str]]) -> list[ParseResult]:
    results = []
    for rel, abspath in files:
        source, problem = read_file(abspath, rel)
        results.append(parse_page(source, config) if source else ParseResult(None, (unreadable(config, rel, problem),)))
    return results


@dataclass
class BuildResult:
    site_dir: Path
    build_dir: Path
    diagnostics: list[Diagnostic]
    summary: dict[str, int]
    timings: dict[str, float]
    check: CheckResult | None = None  # None when nothing changed since the last build
    files: int = 0  # 0 with --strict and problems: nothing written
    bytes: int = 0
    rendered: int = 0  # pages whose HTML was made anew
    reused: int = 0  # pages whose HTML from the last build was still right
    up_to_date: bool = False


def build(root: Path, out: Path | None = None, jobs: int | None = None, strict: bool = False,
          config: Config | None = None, incremental: bool = True, progress=None) -> BuildResult:
    """check(), then render the site and write it (and build/ artefacts) atomically.

    Incremental by default: parse results come from build/cache/ when a file's content is
    unchanged, a page's HTML is reused when the digest of its inputs is unchanged, and when
    nothing at all changed nothing is done. The result is byte-identical to a clean build.
    With `strict`, a wiki with errors or warnings is not written."""
    from kgwiki import cache as build_cache, render, write

    config = config or load_config(root)
    site_dir = (out or config.root / config.site_dir).absolute()
    build_dir = (config.root / config.build_dir).absolute()
    timings: dict[str, float] = {}
    write.check_replaceable(site_dir)
    with no_gc():
        with _timed(timings, "read"):
            read = read_wiki(config)
            sources, unreadable = _split(config, read)
            settings = build_cache.settings_key(_settings_bytes(config, site_dir))
            # attachments count too: adding `picture.png` fixes `![[picture.png]]`
            fingerprint = build_cache.inputs_key(settings + "\0".join(("", *read.attachments)), sources, unreadable)
            cache = build_cache.BuildCache.load(build_dir / "cache", settings) if incremental else \
                build_cache.BuildCache(build_dir / "cache", settings)
        if cache.up_to_date(fingerprint, site_dir):
            diagnostics = [_diagnostic(d) for d in cache.manifest["report"]["diagnostics"]]
            return BuildResult(site_dir, build_dir, diagnostics, cache.manifest["report"]["summary"], timings,
                               files=len(cache.manifest["outputs"]), up_to_date=True)
        with _timed(timings, "parse"):
            parsed = parse_sources(config, sources, unreadable, jobs, cache)
        result = _resolve_and_validate(config, [r for _, r in parsed], timings, attachments=read.attachments)
        if strict and any(d.severity in ("error", "warning") for d in result.diagnostics):
            return BuildResult(site_dir, build_dir, result.diagnostics, result.summary(), timings, result)
        staged = write.StagedTree(site_dir, background=True)
        with staged as staging:  # swapped in for site_dir at the end of the block
            with _timed(timings, "render"):
                previous = _previous_pages(cache.manifest, site_dir) if incremental else None
                # worker processes write their pages into the staging folder as they go, while this
                # one makes the listings, assets and artefacts
                site = render.render_site(result.wiki, result.diagnostics, jobs, previous=previous,
                                          progress=progress, meanwhile=lambda: _artefacts(result),
                                          sink=functools.partial(write.write_into, staging))
                artefacts = site.meanwhile
            with _timed(timings, "write"):
                write.write_into(staging, site.files)
        try:
            with _timed(timings, "save"):  # build/: artefacts and the cache, as the previous site is deleted
                write.write_files(build_dir, artefacts)
                cache.save({key: r for key, r in parsed if key is not None}, {
                    "fingerprint": fingerprint,
                    "outputs": {**{path: size for path, (size, _) in site.stored.items()},
                                **{path: len(data) for path, data in site.files.items()}},
                    "keys": site.keys,
                    "hashes": {path: sha1 for path, (_, sha1) in site.stored.items()},
                    "report": {"diagnostics": [d.to_dict() for d in result.diagnostics], "summary": result.summary()},
                })
        finally:
            staged.wait()
    return BuildResult(site_dir, build_dir, result.diagnostics, result.summary(), timings, result,
                       len(site.files) + len(site.stored),
                       sum(len(b) for b in site.files.values()) + sum(size for size, _ in site.stored.values()),
                       len(site.keys) - site.reused, site.reused)


def _artefacts(result: CheckResult) -> dict[str, bytes]:
    """The build/ files: the graph in two formats and every diagnostic."""
    from kgwiki import indexes

    return {
        "graph.json": indexes.graph_json(result.wiki),
        "graph.graphml": indexes.graph_graphml(result.wiki),
        "report.json": report_json(result),
    }


def _settings_bytes(config: Config, site_dir: Path) -> bytes:
    """Everything besides the pages that the output depends on: wiki.toml, the theme, where it goes."""
    from kgwiki import render

    parts = [str(site_dir).encode(), _wiki_toml(config)]
    for path in render.theme_files(config):
        parts.append(path.name.encode() + b"\0" + path.read_bytes())
    return b"\0".join(parts)


def _previous_pages(manifest: dict, site_dir: Path) -> dict[str, tuple[str, bytes]]:
    """(render key, HTML) of each page of the last build that is still on disk exactly as written."""
    previous = {}
    hashes = manifest.get("hashes", {})
    for path, key in manifest.get("keys", {}).items():
        try:
            data = (site_dir / path).read_bytes()
        except OSError:
            continue  # gone: it is rendered again
        if hashlib.sha1(data).hexdigest() == hashes.get(path):
            previous[path] = (key, data)
    return previous


def _diagnostic(d: dict) -> Diagnostic:
    return Diagnostic(d["code"], d["severity"], Location(d["path"], d["line"], d["col"]), d["message"], d["hint"])


def report_json(result: CheckResult) -> bytes:
    import json

    data = {"diagnostics": [d.to_dict() for d in result.diagnostics], "summary": result.summary()}
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
