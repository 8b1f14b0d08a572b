"""Wiki -> {relative path: bytes}: every HTML page, listing, asset and index of the site.

Pure: nothing here touches the output folder (write.py does). Pages render in
parallel worker processes on large wikis; the output is the same either way.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import multiprocessing
import os
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
import markupsafe
import networkx as nx
import nh3

from kgwiki import __version__, analysis, indexes, layout, syntax
from kgwiki.graph import Wiki
from kgwiki.markdown_ext import LinkTarget, make_markdown
from kgwiki.model import Diagnostic, Page

THEME = resources.files("kgwiki") / "theme"
RESERVED = {"index", "graph", "bibliography", "health", "404"}
RESERVED_FOLDERS = ("types/", "tags/", "assets/")
PARALLEL_THRESHOLD = 300
MAP_OTHER_EDGES = 30
HEALTH_ROWS = 1000  # a health page to read; every diagnostic is in build/report.json
SOURCES_CITED = "sources cited"

SANITIZE_TAGS = set(nh3.ALLOWED_TAGS) | {"table", "thead", "tbody", "tr", "th", "td", "pre", "code", "sup", "sub",
                                         "hr", "del", "ins", "dl", "dt", "dd", "abbr", "figure", "figcaption",
                                         "img", "details", "summary", "mark", "span", "div", "section"}
SANITIZE_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "data-slug", "rel"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"}, "td": {"align", "colspan", "rowspan"}, "th": {"align", "colspan", "rowspan", "scope"},
    "abbr": {"title"},
}


def url_for(slug: str) -> str:
    """A page's path in the site, relative to the site root."""
    if slug in RESERVED or slug.startswith(RESERVED_FOLDERS):
        return f"{slug}-page.html"
    return f"{slug}.html"


def relative(from_path: str, to_path: str) -> str:
    """A relative URL from one site file to another (both relative to the site root)."""
    return "../" * from_path.count("/") + to_path


@functools.lru_cache(maxsize=4096)  # asked for on every page
def tag_url(tag: str) -> str:
    return f"tags/{syntax.slugify_stem(tag)}.html"


@functools.lru_cache(maxsize=256)
def type_url(type_name: str) -> str:
    return f"types/{syntax.slugify_stem(type_name)}.html"


def plural(type_name: str) -> str:
    return type_name[:1].upper() + type_name[1:] + ("es" if type_name.endswith("s") else "s")


@dataclass
class SiteContext:
    """Everything page rendering needs, computed once per build."""

    wiki: Wiki
    diagnostics: list[Diagnostic]
    urls: dict[str, str]
    types: dict[str, dict[str, str]]
    links: dict[str, dict[str, Any]]
    requires: nx.DiGraph
    used_types: list[str]
    signature: str = ""  # digest of everything every page depends on: version, theme, settings

    @functools.cached_property
    def ranks(self) -> dict[str, float]:
        """PageRank: only the listings and the explorer use it, so it is worked out once the page
        workers are running, not before."""
        return indexes.pagerank(self.wiki)


class Renderer:
    def __init__(self, ctx: SiteContext):
        self.ctx = ctx
        self.wiki = ctx.wiki
        config = self.wiki.config
        loaders = []
        if config.theme_dir:
            loaders.append(jinja2.FileSystemLoader(str(config.root / config.theme_dir / "templates")))
        loaders.append(jinja2.FileSystemLoader(str(THEME / "templates")))
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                      undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                      trim_blocks=True, lstrip_blocks=True)
        # Compact, sorted (deterministic) JSON that is safe inside <script>.
        self.env.filters["tojson"] = lambda data: markupsafe.Markup(indexes.html_safe_json(data))
        self.md, self.wikilinks, self.cite_ext = make_markdown(self._link_target)
        self.current_path = ""
        self._suggestions: list | None = None
        self._items: dict[tuple[str, int], tuple[Page, dict[str, Any]]] = {}
        self.sections_to_drop = {lt.section.casefold() for lt in config.links.values() if lt.section}

    # --- helpers ----------------------------------------------------------------

    def _link_target(self, target: str) -> LinkTarget | None:
        kind, what = self.wiki.names.classify(target)
        if kind == "external":
            return LinkTarget("", what, what, "external")
        if kind == "attachment":
            return LinkTarget("", "", what, "attachment")
        if kind == "tag":
            return LinkTarget("", relative(self.current_path, tag_url(what)), f"#{what}", "tag")
        slug = what if kind == "page" else None
        if slug is None:
            return None
        page = self.wiki.pages[slug]
        return LinkTarget(slug, relative(self.current_path, self.ctx.urls[slug]), page.title, page.type,
                          page.summary)

    def item(self, slug: str, **extra) -> dict[str, Any]:
        """A page as listings show it. `link` and `badge` are made here, escaped: a template macro
        call per link costs more than the rest of a panel. Made once per page and folder depth
        (a page lists ~20 others), again only if the page object was replaced (serve)."""
        page = self.wiki.pages[slug]
        depth = self.current_path.count("/")
        known = self._items.get((slug, depth))
        if known is None or known[0] is not page:
            url = "../" * depth + self.ctx.urls[slug]
            esc = markupsafe.escape
            known = self._items[slug, depth] = (page, {
                "slug": slug, "title": page.title, "type": page.type, "summary": page.summary, "url": url,
                "link": markupsafe.Markup(f'<a class="internal" href="{esc(url)}" data-slug="{esc(slug)}">'
                                          f'{esc(page.title)}</a>'),
                "badge": markupsafe.Markup(f'<span class="badge type-{esc(page.type)}">{esc(page.type)}</span>')})
        return {**known[1], **extra}

    def common(self, path: str, page_title: str, body_kind: str, description: str = "") -> dict[str, Any]:
        root = "../" * path.count("/")
        wiki = self.wiki
        nav = [{"label": plural(t), "url": type_url(t), "current": path == type_url(t)} for t in self.ctx.used_types]
        nav.append({"label": "Explorer", "url": "graph.html", "current": path == "graph.html"})
        if wiki.sources:
            nav.append({"label": "Bibliography", "url": "bibliography.html", "current": path == "bibliography.html"})
        nav.append({"label": "Health", "url": "health.html", "current": path == "health.html"})
        return {"root": root, "wiki": {"title": wiki.config.title, "description": wiki.config.description},
                "page_title": page_title, "body_kind": body_kind, "description": description, "nav": nav,
                "version": __version__}

    def template(self, name: str, **context) -> bytes:
        return self.env.get_template(name).render(**context).encode("utf-8")

    def previews(self, slugs: Iterable[str]) -> dict[str, dict[str, str]]:
        out = {}
        for slug in sorted(set(slugs)):
            page = self.wiki.pages[slug]
            out[slug] = {"t": page.title, "y": page.type, "m": page.summary[:indexes.PREVIEW_SUMMARY_CHARS]}
        return out

    def markdown(self, text: str, citations: dict[str, str] | None = None) -> tuple[str, list]:
        current = self.wikilinks.current
        self.md.reset()
        self.wikilinks.current = current
        self.cite_ext.citations = citations or {}
        out = self.md.convert(text)
        toc = getattr(self.md, "toc_tokens", [])
        if not self.wiki.config.allow_raw_html:
            out = nh3.clean(out, tags=SANITIZE_TAGS, attributes=SANITIZE_ATTRIBUTES,
                            url_schemes={"http", "https", "mailto"}, link_rel=None)
        return out, toc

    def inline(self, text: str) -> str:
        """A short description: Markdown only when it has markup, since a full convert costs ~0.3 ms."""
        if not any(ch in text for ch in "[*_`<&"):
            return html.escape(text)
        out, _ = self.markdown(text)
        return re.sub(r"^<p>(.*)</p>$", r"\1", out.strip(), flags=re.S)

    # --- pages ------------------------------------------------------------------

    def render_page(self, slug: str, previous: dict[str, tuple[str, bytes]] | None = None) -> tuple[str, bytes, str]:
        """(path, HTML, render key). When `previous` holds output made from the same inputs (same key),
        that output is reused: Markdown and the template, most of the cost, are skipped."""
        context, body_source, citations = self.page_context(slug)
        path = context["path"]
        key = self.render_key(slug, context, body_source, citations)
        if previous is not None and path in previous and previous[path][0] == key:
            return path, previous[path][1], key
        self.current_path = path
        page = self.wiki.pages[slug]
        self.wikilinks.current = LinkTarget(slug, "", page.title, page.type, page.summary)  # for [[#Heading]]
        body_html, toc_tokens = self.markdown(body_source, citations)
        context["body"] = body_html
        context["toc"] = [t for t in _flatten_toc(toc_tokens) if t["level"] <= 3]
        return path, self.template("page.html.j2", **context), key

    def page_context(self, slug: str) -> tuple[dict[str, Any], str, dict[str, str]]:
        """Everything the page template needs but the rendered body, which is made from the other two."""
        wiki, ctx = self.wiki, self.ctx
        page = wiki.pages[slug]
        path = ctx.urls[slug]
        self.current_path = path
        graph = wiki.graph
        citations = {}
        for r in wiki.citations_of(slug):
            if r.outcome == "resolved":
                citations[r.citation.text] = relative(path, ctx.urls[r.sources[0]])
        rings = layout.neighbourhood(graph, slug)
        map_nodes = [slug] + [n for ring in rings for n in ring]
        map_data = self._map_data(slug, rings)
        linked = set(graph.successors(slug)) | set(graph.predecessors(slug)) | set(map_nodes)
        context = self.common(path, page.title, page.type, page.summary)
        context.update(
            path=path, page=page, tags=[{"name": t, "url": tag_url(t)} for t in page.tags],
            type_listing_url=type_url(page.type), type_plural=plural(page.type),
            panels=self._panels(slug), backlinks=self._backlinks(slug), sources_cited=self._sources_cited(slug),
            reading_path=[self.item(s) for s in analysis.reading_order(wiki, slug, requires=ctx.requires)],
            addressed=self._addressed(slug) if page.type == "agenda" else [],
            source=self._source_facts(page) if page.type == "source" else None,
            map_data=map_data, map_count=len(map_nodes) - 1,
            map_fallback=[self.item(n, via=_via(graph, slug, n)) for n in map_nodes[1:]],
            legend_types=[{"name": t, "color": ctx.types[t]["color"]}
                          for t in sorted({wiki.pages[n].type for n in map_nodes})],
            legend_links=[{"name": k, **ctx.links[k]} for k in sorted({e["type"] for e in map_data["edges"]})],
            previews=self.previews(linked),
        )
        return context, self._body_without_generated_sections(page), citations

    def render_key(self, slug: str, context: dict[str, Any], body_source: str, citations: dict[str, str]) -> str:
        """A digest of every input of a page's HTML: equal keys, equal bytes."""
        page = self.wiki.pages[slug]
        targets = {}
        for link in page.links:  # what each wikilink in the body renders as
            target = self._link_target(link.target) if link.target else None
            targets[link.target] = None if target is None else [target.slug, target.url, target.title, target.type,
                                                                 target.summary]
        material = {k: v for k, v in context.items() if k != "page"}
        material["page"] = [page.slug, page.path, page.title, page.type, page.summary, page.aliases, page.tags]
        # repr, not json: ~5x faster, and as deterministic here, since the context holds only
        # lists, dicts built in a fixed order, strings and numbers (never a set)
        data = repr([self.ctx.signature, material, body_source, citations, targets])
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()

    def _body_without_generated_sections(self, page: Page) -> str:
        """The body minus what the page shows as panels: the typed link bullets (their section too,
        when nothing else is in it) and the generated Sources cited section."""
        body = page.body
        masked = syntax.mask_code(body)
        headings = list(syntax.find_headings(masked, body))
        out, pos = [], 0
        for i, (start, _, text, heading_end) in enumerate(headings):
            end = headings[i + 1][0] if i + 1 < len(headings) else len(body)
            name = text.casefold()
            if name == SOURCES_CITED and "kgwiki:sources-cited" in body[start:end]:
                kept = ""
            elif name in self.sections_to_drop:
                rest = syntax.LINK_BULLET_LINE.sub("", masked[heading_end:end])
                # keep whatever is not a typed bullet (prose under the heading), from the real text
                kept = "" if not rest.strip() else body[start:heading_end] + _without_link_bullets(
                    body[heading_end:end], masked[heading_end:end])
            else:
                continue
            out.append(body[pos:start])
            out.append(kept)
            pos = end
        if not out:
            return body
        out.append(body[pos:])
        return "".join(out)

    def _panels(self, slug: str) -> list[dict[str, Any]]:
        wiki = self.wiki
        by_type: dict[str, list] = defaultdict(list)
        for _, target, key, data in wiki.graph.out_edges(slug, keys=True, data=True):
            lt = wiki.config.links.get(key)
            if key in ("mentions", "cites") or lt is None:
                continue
            by_type[key].append((target, data.get("description")))
        panels = []
        for name, lt in wiki.config.links.items():
            if name in by_type:
                items = [self.item(t, description=self.inline(d) if d else None)
                         for t, d in sorted(by_type[name], key=lambda td: (wiki.pages[td[0]].title.casefold(), td[0]))]
                label = lt.section or name.replace("-", " ").capitalize()
                panels.append({"id": syntax.slugify_stem(name), "label": label, "items": items})
        return panels

    def _backlinks(self, slug: str) -> list[dict[str, Any]]:
        wiki = self.wiki
        groups: dict[str, set] = defaultdict(set)
        for source, _, key in wiki.graph.in_edges(slug, keys=True):
            lt = wiki.config.links.get(key)
            if lt and lt.symmetric and wiki.graph.has_edge(slug, source, key=key):
                continue  # already in this page's own panel for that link type
            groups[key].add(source)
        out = []
        for name in sorted(groups, key=lambda k: (k == "mentions", k)):
            lt = wiki.config.links.get(name)
            label = (lt.inverse_label if lt else name).capitalize()
            items = [self.item(s) for s in sorted(groups[name], key=lambda s: (wiki.pages[s].title.casefold(), s))]
            out.append({"label": label, "items": items})
        return out

    def _sources_cited(self, slug: str) -> list[dict[str, Any]]:
        wiki = self.wiki
        forms: dict[str, list[str]] = defaultdict(list)
        order: list[str] = []
        for r in wiki.citations_of(slug):
            if r.outcome == "resolved" or (r.outcome == "year-mismatch" and len(r.sources) == 1):
                source = r.sources[0]
                if source not in forms:
                    order.append(source)
                text = f"({r.citation.text})" if r.citation.form in ("parenthetical", "label") else r.citation.text
                if text not in forms[source]:
                    forms[source].append(text)
        for target in wiki.graph.successors(slug):
            if wiki.graph.has_edge(slug, target, key="cites") and target not in forms:
                order.append(target)
                forms[target] = []
        out = []
        for source in order:
            s = wiki.sources.get(source)
            out.append(self.item(source, byline=_byline(s) if s else "", external=_safe_url(s.url) if s else None,
                                 cited_as=forms[source][:4]))
        return out

    def _addressed(self, slug: str) -> list[dict[str, Any]]:
        wiki = self.wiki
        out = []
        for _, target, key in sorted(wiki.graph.out_edges(slug, keys=True)):
            if key == "addresses":
                sources = sorted(t for t in wiki.graph.successors(target)
                                 if wiki.graph.has_edge(target, t, key="cites"))
                out.append(self.item(target, sources=[self.item(s) for s in sources]))
        return out

    def _source_facts(self, page: Page) -> dict[str, Any]:
        meta = page.meta
        return {"authors": meta.get("authors", []), "truncated": bool(meta.get("authors_truncated")),
                "year": meta.get("year"), "alt_years": meta.get("alt_years", []), "venue": meta.get("venue"),
                "kind": meta.get("kind"), "url": _safe_url(meta.get("url")) or _arxiv_url(meta.get("arxiv")),
                "doi": meta.get("doi"),
                "arxiv": meta.get("arxiv"), "cite_as": meta.get("cite_as", [])}

    def _map_data(self, slug: str, rings: list[list[str]]) -> dict[str, Any]:
        wiki = self.wiki
        positions = layout.radial_layout(slug, rings)
        included = set(positions)
        nodes = []
        for node in [slug] + [n for ring in rings for n in ring]:
            page = wiki.pages[node]
            x, y = positions[node]
            entry = {"id": node, "label": page.title, "type": page.type, "x": round(x), "y": round(y),
                     "url": relative(self.current_path, self.ctx.urls[node])}
            if node == slug:
                entry["current"] = True
            nodes.append(entry)
        edges, others = [], []
        succ = wiki.graph._succ  # networkx's adjacency {u: {v: {key: data}}}: its edge views cost ~1 µs an edge
        for u in sorted(included):
            for v, keys in succ[u].items():
                if v not in included:
                    continue
                for key in keys:
                    if u == slug or v == slug:
                        edges.append({"from": u, "to": v, "type": key})
                    elif key not in ("mentions", "cites"):
                        others.append({"from": u, "to": v, "type": key})
        # Among the neighbours, a few typed links show the local structure; all of them would be a hairball.
        edges.extend(others[:MAP_OTHER_EDGES])
        edges.sort(key=lambda e: (e["from"], e["to"], e["type"]))
        used_types = {n["type"] for n in nodes}
        used_links = {e["type"] for e in edges}
        return {"nodes": nodes, "edges": edges,
                "types": {t: s for t, s in self.ctx.types.items() if t in used_types},
                "links": {k: s for k, s in self.ctx.links.items() if k in used_links}}

    # --- listings -----------------------------------------------------------------

    def render_listings(self) -> dict[str, bytes]:
        wiki, ctx = self.wiki, self.ctx
        files: dict[str, bytes] = {}
        by_type: dict[str, list[str]] = defaultdict(list)
        for slug, page in wiki.pages.items():
            by_type[page.type].append(slug)
        for type_name, slugs in sorted(by_type.items()):
            path = type_url(type_name)
            self.current_path = path
            context = self.common(path, plural(type_name), "listing")
            context.update(intro=f"All {len(slugs)} {plural(type_name).lower()}, A–Z.", letters=True,
                           groups=_letter_groups([self.item(s) for s in slugs]), tag_cloud=None)
            files[path] = self.template("listing.html.j2", **context)
        tags: dict[str, list[str]] = defaultdict(list)
        for slug, page in wiki.pages.items():
            for tag in page.tags:
                tags[tag].append(slug)
        for tag, slugs in sorted(tags.items()):
            path = tag_url(tag)
            self.current_path = path
            context = self.common(path, f"#{tag}", "listing")
            context.update(intro=f"{len(slugs)} pages tagged #{tag}.", letters=False, tag_cloud=None,
                           groups=[{"letter": "", "key": "all",
                                    "items": sorted((self.item(s) for s in slugs), key=lambda i: (i["title"].casefold(), i["slug"]))}])
            files[path] = self.template("listing.html.j2", **context)
        self.current_path = "tags/index.html"
        context = self.common("tags/index.html", "Tags", "listing")
        context.update(intro=f"{len(tags)} tags.", letters=False, groups=[],
                       tag_cloud=[{"name": t, "url": tag_url(t).removeprefix("tags/"), "count": len(s)}
                                  for t, s in sorted(tags.items())])
        context["root"] = "../"
        for cloud in context["tag_cloud"]:
            cloud["url"] = "tags/" + cloud["url"]
        files["tags/index.html"] = self.template("listing.html.j2", **context)
        files["index.html"] = self._home()
        files["bibliography.html"] = self._bibliography()
        files["health.html"] = self._health()
        files["graph.html"] = self._explorer()
        self.current_path = "404.html"
        files["404.html"] = self.template("404.html.j2", **self.common("404.html", "Page not found", "listing"))
        return files

    def suggestions(self) -> list:
        """Suggested links, computed once per graph (serve keeps the renderer across prose edits)."""
        if self._suggestions is None:
            self._suggestions = analysis.suggested_links(self.wiki)
        return self._suggestions

    def render_listings_only(self, names: list[str]) -> dict[str, bytes]:
        makers = {"health.html": self._health, "index.html": self._home, "graph.html": self._explorer,
                  "bibliography.html": self._bibliography}
        return {name: makers[name]() for name in names}

    def _home(self) -> bytes:
        wiki, ctx = self.wiki, self.ctx
        self.current_path = "index.html"
        central_pool = [s for s in wiki.pages if wiki.pages[s].type in ("concept", "page")] or list(wiki.pages)
        central = sorted(central_pool, key=lambda s: (-ctx.ranks.get(s, 0), s))[:12]
        agendas = [s for s, p in wiki.pages.items() if p.type == "agenda"]
        dated = [s for s in agendas if wiki.pages[s].meta.get("created")]
        if dated:
            agendas = sorted(dated, key=lambda s: (str(wiki.pages[s].meta["created"]), s), reverse=True)[:8]
            heading = "Recently added agendas"
        else:
            agendas = sorted(agendas, key=lambda s: (wiki.pages[s].title.casefold(), s))
            heading = "Research agendas"
        type_counts = [{"plural": plural(t).lower(), "count": sum(1 for p in wiki.pages.values() if p.type == t),
                        "url": type_url(t)} for t in sorted({p.type for p in wiki.pages.values()})]
        home = wiki.pages.get("index")
        home_body = self.markdown(home.body)[0] if home else ""
        context = self.common("index.html", wiki.config.title, "index", wiki.config.description)
        context.update(central=[self.item(s) for s in central], agendas=[self.item(s) for s in agendas],
                       agendas_heading=heading, type_counts=type_counts, home_body=home_body,
                       edge_count=sum(1 for _, _, k in wiki.graph.edges(keys=True) if k != "mentions"),
                       previews=self.previews(central + agendas))
        return self.template("index.html.j2", **context)

    def _bibliography(self) -> bytes:
        wiki = self.wiki
        self.current_path = "bibliography.html"
        rows = []
        for slug, source in wiki.sources.items():
            cited_by = sum(1 for _, _, k in wiki.graph.in_edges(slug, keys=True) if k == "cites")
            first = source.authors[0].split()[-1].casefold() if source.authors else source.title.casefold()
            rows.append(((first, source.year or 0, source.title.casefold(), slug),
                         self.item(slug, byline=_byline(source), year=source.year,
                                   external=_safe_url(source.url), cited_by=cited_by)))
        rows.sort(key=lambda r: r[0])
        context = self.common("bibliography.html", "Bibliography", "listing")
        context.update(sources=[r[1] for r in rows], previews=self.previews(wiki.sources))
        return self.template("bibliography.html.j2", **context)

    def _health(self) -> bytes:
        wiki = self.wiki
        self.current_path = "health.html"
        wanted: dict[str, set] = defaultdict(set)
        for r in wiki.links:
            if r.target is None and not r.self_anchor and r.kind == "page":
                wanted[r.link.target].add(r.page)
        wanted_rows = [{"name": name, "count": len(pages), "pages": [self.item(p) for p in sorted(pages)]}
                       for name, pages in sorted(wanted.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
        orphans = [self.item(s) for s in sorted(wiki.pages) if wiki.pages[s].type != "source" and s != "index"
                   and not any(u != s for u in wiki.graph.predecessors(s))]
        unsourced = [self.item(s) for s in sorted(wiki.pages) if wiki.pages[s].type in ("concept", "agenda")
                     and not any(k == "cites" for _, _, k in wiki.graph.out_edges(s, keys=True))]
        by_path = {p.path: s for s, p in wiki.pages.items()}
        diagnostics = []
        for d in self.ctx.diagnostics[:HEALTH_ROWS]:
            slug = by_path.get(d.location.path)
            diagnostics.append({"location": str(d.location), "severity": d.severity, "code": d.code,
                                "message": d.message, "hint": d.hint,
                                "url": self.ctx.urls[slug] if slug else None})
        counts = {s: sum(1 for d in self.ctx.diagnostics if d.severity == s) for s in ("error", "warning", "info")}
        context = self.common("health.html", "Health", "health")
        context.update(summary={"errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"],
                                "pages": len(wiki.pages)},
                       more_diagnostics=max(0, len(self.ctx.diagnostics) - HEALTH_ROWS),
                       wanted=wanted_rows, orphans=orphans, unsourced=unsourced, diagnostics=diagnostics,
                       suggestions=[{"location": self.item(x.page)["title"], "message":
                                     f"add a {x.link_type} link to {wiki.pages[x.target].title} ({x.evidence})"}
                                    for x in self.suggestions() if x.kind != "missing-inverse"][:200])
        return self.template("health.html.j2", **context)

    def _explorer(self) -> bytes:
        wiki, ctx = self.wiki, self.ctx
        self.current_path = "graph.html"
        central = sorted(wiki.pages, key=lambda s: (-ctx.ranks.get(s, 0), s))[:15]
        type_counts = defaultdict(int)
        for p in wiki.pages.values():
            type_counts[p.type] += 1
        link_counts = defaultdict(int)
        for _, _, k in wiki.graph.edges(keys=True):
            link_counts[k] += 1
        context = self.common("graph.html", "Graph explorer", "explorer")
        context.update(
            titles=sorted({p.title for p in wiki.pages.values()}, key=lambda t: (t.casefold(), t)),
            types=[{"name": t, "color": ctx.types[t]["color"], "count": type_counts[t]} for t in sorted(type_counts)],
            # untyped mentions start hidden in a large graph: they are most of its edges and little of its sense
            links=[{"name": k, "count": link_counts[k], "off": k == "mentions" and wiki.graph.number_of_edges() > 5000,
                    **ctx.links[k]} for k in sorted(ctx.links) if link_counts[k]],
            tags=sorted({t for p in wiki.pages.values() for t in p.tags}),
            central=[self.item(s) for s in central], node_count=wiki.graph.number_of_nodes(),
            edge_count=wiki.graph.number_of_edges())
        return self.template("graph.html.j2", **context)


# --- the whole site ---------------------------------------------------------------

@dataclass
class RenderedSite:
    files: dict[str, bytes]  # every file, but the pages handed to render_site's `sink`
    keys: dict[str, str]  # page path -> render key
    reused: int = 0  # pages whose previous output was still right
    renderer: "Renderer | None" = None
    meanwhile: Any = None  # what render_site's `meanwhile` returned
    stored: dict[str, tuple[int, str]] = field(default_factory=dict)  # page handed to `sink` -> (size, sha1)


Sink = Callable[[dict[str, bytes]], None]
_WORKER: tuple[Renderer, dict | None, Sink | None] | None = None


def _render_chunk(slugs: list[str]) -> list[tuple]:
    assert _WORKER is not None
    return _render_pages(slugs, *_WORKER)


def _render_pages(slugs: list[str], renderer: Renderer, previous: dict | None, sink: Sink | None) -> list[tuple]:
    """(path, render key, HTML, None) of each page; with a `sink`, the HTML goes to it and
    (path, render key, None, (size, sha1)) comes back instead."""
    pages = [renderer.render_page(s, previous) for s in slugs]
    if sink is None:
        return [(path, key, data, None) for path, data, key in pages]
    sink({path: data for path, data, _ in pages})
    return [(path, key, None, (len(data), hashlib.sha1(data).hexdigest())) for path, data, key in pages]


def render_site(wiki: Wiki, diagnostics: list[Diagnostic], jobs: int | None = None,
                previous: dict[str, tuple[str, bytes]] | None = None, slugs: Iterable[str] | None = None,
                progress=None, pages_only: bool = False, meanwhile: Callable[[], Any] | None = None,
                sink: Sink | None = None) -> RenderedSite:
    """Every file of the site: pages, listings, assets and the data they load.

    `previous` maps page paths to (render key, HTML) of an earlier build: pages whose key is
    unchanged are not rendered again. `slugs` limits the pages rendered (listings and assets
    are always made); `progress(done, total)` is called as pages are done. `meanwhile` is more
    work for this process (the build's artefacts), done while worker processes render pages;
    its result is returned as `RenderedSite.meanwhile`. `sink`, when given, takes the pages
    instead of `RenderedSite.files`, a chunk at a time, in whichever process rendered them:
    the build writes them straight into its staging folder instead of shipping ~20 KB a page
    back to this process to be written from here."""
    global _WORKER
    ctx = make_context(wiki, diagnostics)
    renderer = Renderer(ctx)
    slugs = sorted(wiki.pages) if slugs is None else sorted(slugs)
    jobs = jobs or os.cpu_count() or 1
    size = max(16, len(slugs) // (jobs * 8)) if jobs > 1 else 64
    chunks = [slugs[i:i + size] for i in range(0, len(slugs), size)]
    count = _Counter(len(slugs), progress)

    def site_wide() -> tuple[dict[str, bytes], Any]:
        files = {} if pages_only else {**renderer.render_listings(), **assets(wiki, ctx)}
        return files, meanwhile() if meanwhile else None

    if jobs > 1 and len(slugs) >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
        # Workers are forked after the renderer exists, so they share the wiki without pickling it;
        # this process does the site-wide work in the meantime.
        _WORKER = (renderer, previous, sink)
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_render_chunk, chunk) for chunk in chunks]
                for future in futures:
                    future.add_done_callback(count.future)
                try:
                    other, extra = site_wide()
                    results = [future.result() for future in futures]
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
        finally:
            _WORKER = None
    else:
        results = []
        for chunk in chunks:
            results.append(_render_pages(chunk, renderer, previous, sink))
            count(results[-1])
        other, extra = site_wide()
    pages = [page for chunk in results for page in chunk]
    files = {path: data for path, _, data, _ in pages if data is not None}
    keys = {path: key for path, key, _, _ in pages}
    stored = {path: digest for path, _, _, digest in pages if digest is not None}
    reused = sum(1 for p, k in keys.items() if previous and p in previous and previous[p][0] == k)
    files.update(other)
    if wiki.config.base_url and not pages_only:
        files["sitemap.xml"] = sitemap(wiki.config.base_url, sorted(p for p in [*files, *stored] if p.endswith(".html")
                                                                    and p != "404.html"))
    return RenderedSite(files, keys, reused, renderer, extra, stored)


class _Counter:
    """Pages done, for `progress`; fed by the pool's thread as chunks finish."""

    def __init__(self, total: int, progress):
        self.total, self.done, self.progress = total, 0, progress

    def __call__(self, results: list) -> None:
        self.done += len(results)
        if self.progress:
            self.progress(self.done, self.total)

    def future(self, future) -> None:
        if not future.cancelled() and future.exception() is None:
            self(future.result())


def make_context(wiki: Wiki, diagnostics: list[Diagnostic]) -> SiteContext:
    urls = {slug: url_for(slug) for slug in wiki.pages}
    ctx = SiteContext(wiki, diagnostics, urls, indexes.type_styles(wiki),
                      indexes.link_styles(wiki), analysis.links_of_type(wiki, "requires"),
                      sorted({p.type for p in wiki.pages.values()}))
    ctx.signature = site_signature(wiki, ctx)
    return ctx


def theme_files(config) -> list[Path]:
    """Every template and static file the site is made from (a user theme's first)."""
    folders = []
    if config.theme_dir:
        folders.append(config.root / config.theme_dir)
    folders.append(Path(str(THEME)))
    return [p for folder in folders if folder.is_dir() for p in sorted(folder.rglob("*")) if p.is_file()]


def site_signature(wiki: Wiki, ctx: SiteContext) -> str:
    """What every page's HTML depends on beyond its own data: kgwiki, the theme, the settings."""
    config = wiki.config
    digest = hashlib.sha256(f"{__version__}\n{config.title}\n{config.description}\n{config.allow_raw_html}\n"
                            f"{sorted((n, repr(t)) for n, t in config.types.items())}\n"
                            f"{sorted((n, repr(l)) for n, l in config.links.items())}\n"
                            f"{ctx.used_types}\n{bool(wiki.sources)}\n{ctx.types}\n{ctx.links}".encode())
    folders = [THEME / "templates"]
    if config.theme_dir:
        folders.insert(0, config.root / config.theme_dir / "templates")
    for folder in folders:
        if Path(str(folder)).is_dir():
            for template in sorted(Path(str(folder)).glob("*.j2")):
                digest.update(template.name.encode() + b"\0" + template.read_bytes())
    return digest.hexdigest()


def assets(wiki: Wiki, ctx: SiteContext) -> dict[str, bytes]:
    files = {}
    static = THEME / "static"
    user_static = wiki.config.root / wiki.config.theme_dir / "static" if wiki.config.theme_dir else None
    for name in ("kgwiki.css", "kgwiki.js"):
        user_file = user_static / name if user_static else None
        source = user_file if user_file and user_file.is_file() else static / name
        files[f"assets/{name}"] = source.read_bytes()
    files["assets/vis-network.min.js"] = vis_network_js()
    files["assets/search-index.js"] = search_index_js(wiki, ctx.urls)
    positions = explorer_positions(wiki)
    files["assets/graph-data.js"] = indexes.js_assignment(
        "KGWIKI_GRAPH", indexes.explorer_data(wiki, ctx.urls, positions, ctx.ranks))
    return files


_POSITIONS: dict[str, dict] = {}  # graph digest -> positions: serve re-lays out only when links change


def explorer_positions(wiki: Wiki) -> dict:
    nodes = sorted(wiki.graph.nodes)
    edges = sorted({(u, v) for u, v in wiki.graph.edges()})
    digest = hashlib.sha1(json.dumps([nodes, edges]).encode()).hexdigest()
    if digest not in _POSITIONS:
        _POSITIONS.clear()
        _POSITIONS[digest] = layout.force_layout(nodes, edges)
    return _POSITIONS[digest]


def search_index_js(wiki: Wiki, urls: dict[str, str]) -> bytes:
    return indexes.js_assignment("KGWIKI_SEARCH", indexes.search_index(wiki, urls))


def vis_network_js() -> bytes:
    """The vis-network build that pyvis ships (one shared copy for the whole site)."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "lib"
    candidates = sorted(lib.glob("vis-*/vis-network.min.js"), key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)])
    if not candidates:
        raise RuntimeError("pyvis ships no vis-network.min.js: reinstall pyvis")
    return candidates[-1].read_bytes()


def sitemap(base_url: str, paths: list[str]) -> bytes:
    base = base_url.rstrip("/") + "/"
    rows = "".join(f"  <url><loc>{html.escape(base + p)}</loc></url>\n" for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n').encode()


# --- small pure helpers ---------------------------------------------------------------

def _via(graph: nx.MultiDiGraph, center: str, other: str) -> str:
    keys = sorted(graph.get_edge_data(center, other, default={})) or \
        [f"{k} (inverse)" for k in sorted(graph.get_edge_data(other, center, default={}))]
    return ", ".join(keys) or "nearby"


def _byline(source) -> str:
    if not source.authors:
        return str(source.year or "")
    names = [_family(a) for a in source.authors]
    who = names[0] if len(names) == 1 else f"{names[0]} & {names[1]}" if len(names) == 2 else f"{names[0]} et al."
    return f"{who} {source.year}" if source.year else who


def _arxiv_url(arxiv: Any) -> str | None:
    return f"https://arxiv.org/abs/{arxiv}" if isinstance(arxiv, str) and re.fullmatch(r"[\w./-]+", arxiv) else None


def _family(name: str) -> str:
    """"Evan Hubinger" or "Hubinger, Evan" -> "Hubinger"; "Chris van Merwijk" -> "van Merwijk"."""
    if "," in name:
        return name.split(",")[0].strip()
    words = name.split()
    for i, word in enumerate(words[:-1]):
        if word[:1].islower():
            return " ".join(words[i:])
    return words[-1] if words else name


def _safe_url(url: Any) -> str | None:
    if isinstance(url, str) and re.match(r"^https?://", url.strip(), re.I):
        return url.strip()
    return None


def _letter_groups(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i["title"].casefold(), i["slug"])):
        first = item["title"][:1].upper()
        letter = first if first.isalpha() else "#"
        groups[letter].append(item)
    return [{"letter": letter, "key": "num" if letter == "#" else letter.lower(), "items": groups[letter]}
            for letter in sorted(groups)]


def _without_link_bullets(text: str, masked: str) -> str:
    """`text` without the lines that are typed-link bullets (found in its masked twin)."""
    lines, masked_lines = text.split("\n"), masked.split("\n")
    return "\n".join(line for line, m in zip(lines, masked_lines) if not syntax.LINK_BULLET.match(m))


def _flatten_toc(tokens: list[dict]) -> list[dict]:
    out = []
    for token in tokens:
        out.append({"level": token["level"], "id": token["id"], "name": html.unescape(token["name"])})
        out.extend(_flatten_toc(token.get("children", [])))
    return out
