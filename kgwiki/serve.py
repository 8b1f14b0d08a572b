"""kgwiki serve: build, serve site/ on loopback, rebuild what an edit affects, reload open tabs.

The wiki stays in memory between edits. An edit that changes only a page's prose
(its title, links, citations, headings and front matter unchanged) re-renders that
page alone; any other edit rebuilds the graph and re-renders the pages that can
show the change (the edited pages, everything within two links of them, pages that
require them) plus the listings. Diagnostics appear in the terminal and, for the
page being viewed, in a banner in the browser.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from kgwiki import render, write
from kgwiki.config import CONFIG_NAME, Config, load_config
from kgwiki.graph import CitationResolution, LinkResolution, Wiki, build_wiki
from kgwiki.model import Diagnostic, Page, ParseResult
from kgwiki.parse import parse_page
from kgwiki.pipeline import no_gc, read_sources
from kgwiki.read import find_attachments, read_file
from kgwiki.validate import validate

LIVE_PATH = "/__kgwiki/"


@dataclass
class Update:
    kind: str  # full | prose | structure | none
    rendered: list[str] = field(default_factory=list)  # site paths written
    seconds: float = 0.0


class Session:
    """The wiki in memory, rebuilt incrementally as files change."""

    def __init__(self, root: Path, site_dir: Path | None = None, jobs: int | None = None):
        self.root = root.resolve()
        self.jobs = jobs
        self.config: Config = load_config(self.root)
        self.site_dir = (site_dir or self.root / self.config.site_dir).absolute()
        self.build_id = 0
        self.lock = threading.Lock()
        self.startup_seconds = self.full_build().seconds

    # --- building -------------------------------------------------------------------

    def full_build(self) -> Update:
        start = time.perf_counter()
        self.config = load_config(self.root)
        with no_gc():
            sources, unreadable = read_sources(self.config)
            self.parsed: dict[str, ParseResult] = {s.path: parse_page(s, self.config) for s in sources}
            self.unreadable = {r.diagnostics[0].location.path: r for r in unreadable}
            self._resolve()
            site = render.render_site(self.wiki, self.diagnostics, self.jobs,
                                      previous=getattr(self, "pages", None))
        self.renderer = site.renderer
        write.write_tree(self.site_dir, site.files)
        self.files = dict(site.files)
        self.pages = {path: (site.keys[path], site.files[path]) for path in site.keys}
        self.build_id += 1
        return Update("full", sorted(site.files), time.perf_counter() - start)

    def _resolve(self) -> None:
        results = list(self.parsed.values()) + list(self.unreadable.values())
        self.wiki = build_wiki([r.page for r in results if r.page], self.config, find_attachments(self.config))
        self.diagnostics = validate(self.wiki, [d for r in results for d in r.diagnostics])

    def apply(self, changed: set[Path]) -> Update:
        """Rebuild after the files in `changed` were created, modified or deleted."""
        with self.lock:
            start = time.perf_counter()
            if any(p.name == CONFIG_NAME or self._in_theme(p) for p in changed):
                return self.full_build()
            edits = self._reparse(changed)
            if not edits:
                return Update("none")
            with no_gc():
                if all(old is not None and new is not None and _shape(old) == _shape(new)
                       for old, new in edits.values()):
                    update = self._prose_edit(edits)
                else:
                    update = self._structure_edit(edits)
            self.build_id += 1
            update.seconds = time.perf_counter() - start
            return update

    def _in_theme(self, path: Path) -> bool:
        return bool(self.config.theme_dir) and (self.root / self.config.theme_dir) in path.parents

    def _reparse(self, changed: set[Path]) -> dict[str, tuple[Page | None, Page | None]]:
        """path -> (old page, new page); None for a page that did not or no longer exists."""
        edits = {}
        content = [self.root / c for c in self.config.content] or [self.root]
        for path in sorted(changed):
            if path.suffix.lower() != ".md" or not any(folder in path.parents for folder in content):
                continue
            if self.site_dir in path.parents or (self.root / self.config.build_dir) in path.parents:
                continue
            rel = path.relative_to(self.root).as_posix()
            old = self.parsed.get(rel)
            self.unreadable.pop(rel, None)
            if path.is_file():
                source, problem = read_file(path, rel)
                if source is None:
                    self.parsed.pop(rel, None)
                    self.unreadable[rel] = ParseResult(None, (Diagnostic("unreadable-file", "error",
                                                                          _loc(rel), problem),))
                    new = None
                else:
                    result = parse_page(source, self.config)
                    self.parsed[rel] = result
                    new = result.page
            else:
                self.parsed.pop(rel, None)
                new = None
            old_page = old.page if old else None
            if old_page is not None and new is not None and old_page.body == new.body and \
                    old_page.meta == new.meta:
                continue  # saved without a change
            edits[rel] = (old_page, new)
        return edits

    def _prose_edit(self, edits) -> Update:
        """Only prose changed: the graph is the same; swap the pages in, re-render them alone."""
        wiki = self.wiki
        slugs, olds = [], {}
        for rel, (old, new) in edits.items():
            new = dataclasses.replace(new, slug=old.slug)
            self.parsed[rel] = dataclasses.replace(self.parsed[rel], page=new)
            wiki.pages[old.slug] = new
            olds[old.slug] = old
            slugs.append(old.slug)
        chosen = set(slugs)
        # Same shape, so the i-th link or citation of the old page is the i-th of the new one (moved).
        link_index = {s: {id(l): i for i, l in enumerate(olds[s].links)} for s in slugs}
        cite_index = {s: {id(c): i for i, c in enumerate(olds[s].citations)} for s in slugs}
        wiki.links = tuple(
            dataclasses.replace(r, link=wiki.pages[r.page].links[link_index[r.page][id(r.link)]])
            if r.page in chosen else r for r in wiki.links)
        wiki.citations = tuple(
            dataclasses.replace(r, citation=wiki.pages[r.page].citations[cite_index[r.page][id(r.citation)]])
            if r.page in chosen else r for r in wiki.citations)
        wiki._by_page = {}
        for r in wiki.links:
            if r.page in chosen and r.target is not None and wiki.graph.has_edge(r.page, r.target, key=r.link_type):
                data = wiki.graph.edges[r.page, r.target, r.link_type]
                if data["line"] != r.link.location.line and data.get("description") == r.link.description:
                    data["line"] = r.link.location.line
        before = self.diagnostics
        # The graph is unchanged, so only the diagnostics located in the edited files can change.
        paths = set(edits)
        upstream = [d for rel in paths for d in self.parsed[rel].diagnostics]
        fresh = validate(wiki, upstream, only=paths)
        self.diagnostics = sorted([d for d in before if d.location.path not in paths] + fresh,
                                  key=lambda d: d.sort_key)
        renderer = self.renderer
        renderer.ctx.diagnostics = self.diagnostics
        files, keys = {}, {}
        for slug in sorted(slugs):
            path, data, key = renderer.render_page(slug, self.pages)
            files[path], keys[path] = data, key
        files["assets/search-index.js"] = render.search_index_js(wiki, renderer.ctx.urls)
        if self.diagnostics != before:
            files["health.html"] = renderer.render_listings_only(["health.html"])["health.html"]
        return self._write(render.RenderedSite(files, keys), removed=[], kind="prose")

    def _structure_edit(self, edits) -> Update:
        """Titles, links or pages changed: rebuild the graph; re-render every page that can show it."""
        old_graph = self.wiki.graph
        old_types = sorted({p.type for p in self.wiki.pages.values()})
        self._resolve()
        wiki = self.wiki
        changed = {p.slug for pair in edits.values() for p in pair if p is not None}
        if sorted({p.type for p in wiki.pages.values()}) != old_types:
            affected = set(wiki.pages)  # the navigation of every page lists the types
        else:
            affected = _near(old_graph, changed, 2) | _near(wiki.graph, changed, 2)
            requires = nx.DiGraph((u, v) for u, v, k in wiki.graph.edges(keys=True) if k == "requires")
            for slug in changed & set(requires):
                affected |= nx.ancestors(requires, slug)
        affected &= set(wiki.pages)
        site = render.render_site(wiki, self.diagnostics, self.jobs, previous=self.pages, slugs=affected)
        self.renderer = site.renderer
        # Every output of the new site: all pages (rendered now or kept) and everything else made now;
        # whatever the last build wrote beyond that (a deleted page, a tag nobody uses) goes.
        outputs = {render.url_for(slug) for slug in wiki.pages} | set(site.files)
        removed = sorted(path for path in self.files if path not in outputs)
        return self._write(site, removed, kind="structure")

    def _write(self, site, removed: list[str], kind: str) -> Update:
        written = []
        for path, data in sorted(site.files.items()):
            if self.files.get(path) != data:
                write.atomic_write(self.site_dir / write.safe_relative(path), data)
                self.files[path] = data
                written.append(path)
        for path in site.keys:
            self.pages[path] = (site.keys[path], site.files[path])
        for path in removed:
            self.files.pop(path, None)
            self.pages.pop(path, None)
            try:
                (self.site_dir / write.safe_relative(path)).unlink()
            except FileNotFoundError:
                pass
        return Update(kind, written + removed)

    # --- what the browser asks ----------------------------------------------------------

    def diagnostics_for(self, site_path: str) -> list[dict]:
        by_url = {render.url_for(slug): page.path for slug, page in self.wiki.pages.items()}
        source = by_url.get(site_path.lstrip("/") or "index.html")
        return [d.to_dict() for d in self.diagnostics if d.location.path == source and d.severity != "info"]


def _shape(page: Page) -> tuple:
    """Everything of a page that other pages, the graph or the listings can show: all but its prose."""
    return (page.slug, page.path, page.title, page.type, page.summary, page.aliases, page.tags,
            json.dumps(page.meta, sort_keys=True, default=str), page.ignore,
            tuple((h.level, h.text) for h in page.headings),
            tuple((l.target, l.label, l.anchor, l.link_type, l.description, l.embed, l.origin) for l in page.links),
            tuple((c.text, c.form, c.key) for c in page.citations))


def _near(graph: nx.MultiDiGraph, seeds: set[str], depth: int) -> set[str]:
    found = {s for s in seeds if s in graph}
    frontier = set(found)
    for _ in range(depth):
        nxt = set()
        for node in frontier:
            nxt |= set(graph.successors(node)) | set(graph.predecessors(node))
        frontier = nxt - found
        found |= nxt
    return found


def _loc(rel: str):
    from kgwiki.model import Location
    return Location(rel)


# --- the HTTP side ----------------------------------------------------------------------

LIVE_JS = r"""
(function () {
  var script = document.currentScript;
  var build = Number(script.getAttribute("data-build"));
  function banner(items) {
    var old = document.getElementById("kgwiki-live");
    if (old) old.remove();
    if (!items.length) return;
    var box = document.createElement("aside");
    box.id = "kgwiki-live";
    box.setAttribute("role", "status");
    box.style.cssText = "position:fixed;bottom:0;left:0;right:0;max-height:40vh;overflow:auto;z-index:9999;" +
      "background:#2b1d1d;color:#ffe9e9;font:13px/1.5 ui-monospace,monospace;padding:.6em 1em;" +
      "border-top:3px solid #e5534b";
    items.forEach(function (d) {
      var line = document.createElement("div");
      line.textContent = d.path + ":" + (d.line || "") + (d.col ? ":" + d.col : "") + ": " + d.severity +
        "[" + d.code + "] " + d.message + (d.hint ? "  (" + d.hint + ")" : "");
      box.appendChild(line);
    });
    document.body.appendChild(box);
  }
  function diagnostics() {
    var x = new XMLHttpRequest();
    x.open("GET", "/__kgwiki/diagnostics?page=" + encodeURIComponent(location.pathname));
    x.onload = function () { try { banner(JSON.parse(x.responseText)); } catch (e) {} };
    x.send();
  }
  diagnostics();
  var events = new EventSource("/__kgwiki/events");
  events.onmessage = function (e) {
    if (Number(e.data) !== build) location.reload();
  };
})();
"""


def make_handler(session: Session, state: "LiveState"):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(session.site_dir), **kwargs)

        def log_message(self, format, *args):  # quiet: the terminal shows builds, not requests
            pass

        def do_GET(self):
            try:
                self._get()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser went away mid-response: nothing to do

        def _get(self):
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path == LIVE_PATH + "events":
                return self._events()
            if parsed.path == LIVE_PATH + "live.js":
                return self._send(200, "text/javascript", LIVE_JS.encode())
            if parsed.path == LIVE_PATH + "diagnostics":
                page = urllib.parse.parse_qs(parsed.query).get("page", [""])[0]
                return self._send(200, "application/json", json.dumps(session.diagnostics_for(page)).encode())
            target = self._inside_site(parsed.path)
            if target is None:
                return self._send(404, "text/plain", b"not found")
            if target.is_dir():
                target = target / "index.html"
            if target.suffix == ".html" and target.is_file():
                html = target.read_bytes()
                tag = f'<script src="{LIVE_PATH}live.js" data-build="{state.build_id}"></script>'.encode()
                html = html.replace(b"</body>", tag + b"</body>", 1)
                return self._send(200, "text/html; charset=utf-8", html)
            return super().do_GET()

        def _inside_site(self, url_path: str) -> Path | None:
            """The file a URL names, or None when it would lie outside site/ (no `..` escapes)."""
            rel = urllib.parse.unquote(url_path).lstrip("/")
            if "\x00" in rel:
                return None
            root = session.site_dir.resolve()
            target = (root / rel).resolve()
            return target if target == root or root in target.parents else None

        def send_head(self):  # SimpleHTTPRequestHandler's file path, guarded the same way
            if self._inside_site(urllib.parse.urlsplit(self.path).path) is None:
                self.send_error(404)
                return None
            return super().send_head()

        def _send(self, status: int, kind: str, body: bytes):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            while not state.stopping.is_set():
                with state.changed:
                    if state.build_id == seen:
                        state.changed.wait(timeout=15)
                if state.build_id != seen:
                    seen = state.build_id
                    self.wfile.write(f"data: {seen}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()

    return Handler


class LiveState:
    def __init__(self, build_id: int):
        self.build_id = build_id
        self.changed = threading.Condition()
        self.stopping = threading.Event()

    def bump(self, build_id: int) -> None:
        with self.changed:
            self.build_id = build_id
            self.changed.notify_all()


def report(update: Update, session: Session, stream=sys.stderr) -> None:
    problems = [d for d in session.diagnostics if d.severity in ("error", "warning")]
    print(f"[{time.strftime('%H:%M:%S')}] {update.kind} rebuild: {len(update.rendered)} files in "
          f"{update.seconds * 1000:.0f} ms; {len(problems)} errors and warnings", file=stream)
    for d in problems[:20]:
        print(f"  {d.location}: {d.severity}[{d.code}] {d.message}", file=stream)
    if len(problems) > 20:
        print(f"  … and {len(problems) - 20} more (kgwiki check lists them all)", file=stream)


def watch_paths(session: Session) -> list[Path]:
    config = session.config
    paths = [session.root / c for c in config.content if (session.root / c).is_dir()] or [session.root]
    paths.append(session.root / CONFIG_NAME) if (session.root / CONFIG_NAME).exists() else None
    if config.theme_dir and (session.root / config.theme_dir).is_dir():
        paths.append(session.root / config.theme_dir)
    return paths


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, jobs: int | None = None,
          out: Path | None = None, ready=None, stop: threading.Event | None = None) -> None:
    """Build, serve and rebuild until interrupted (Ctrl-C) or `stop` is set."""
    import watchfiles

    session = Session(root, out, jobs)
    state = LiveState(session.build_id)
    if stop is not None:
        state.stopping = stop
    server = http.server.ThreadingHTTPServer((host, port), make_handler(session, state))
    server.daemon_threads = True
    url = f"http://{host if ':' not in host else '[' + host + ']'}:{server.server_address[1]}/"
    print(f"serving {session.site_dir} at {url} (Ctrl-C stops)", file=sys.stderr)
    report(Update("full", list(session.files), session.startup_seconds), session)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if ready:
        ready(server.server_address[1], session)
    site = session.site_dir.resolve()
    build = (session.root / session.config.build_dir).resolve()

    def relevant(change, path: str) -> bool:
        p = Path(path)
        return site not in p.parents and build not in p.parents and not p.name.startswith(".")

    try:
        for changes in watchfiles.watch(*watch_paths(session), watch_filter=relevant, debounce=50, step=20,
                                        stop_event=state.stopping, raise_interrupt=True):
            try:
                update = session.apply({Path(p) for _, p in changes})
            except Exception as exc:  # a bad edit must not stop the server: say what failed and go on
                print(f"rebuild failed: {exc}", file=sys.stderr)
                continue
            if update.kind != "none":
                report(update, session)
                state.bump(session.build_id)
    except KeyboardInterrupt:
        pass
    finally:
        state.stopping.set()
        state.bump(state.build_id)
        server.shutdown()
        server.server_close()
        print("stopped", file=sys.stderr)
