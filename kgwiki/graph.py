"""Pages -> Wiki: names and citations resolved, a typed networkx.MultiDiGraph built.

Resolution never guesses: a link resolves by slug, then alias, then title; a
citation by exact key, then `cite_as`, then first-author surname and year.
What does not resolve is kept (with why) for `validate` to report.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Iterable

import networkx as nx

from kgwiki import syntax
from kgwiki.config import Config
from kgwiki.model import Citation, Link, Page, Slug, record

PARTICLES = {"van", "von", "de", "der", "den", "di", "du", "da", "del", "della", "le", "la", "ten", "ter", "dos"}


@record
class Source:
    slug: Slug
    title: str
    authors: tuple[str, ...]
    year: int | None
    alt_years: tuple[int, ...]
    cite_as: tuple[str, ...]
    url: str | None
    authors_truncated: bool = False  # the author list ends in "et al."

    @property
    def surnames(self) -> tuple[str, ...]:
        return tuple(surname_key(a) for a in self.authors)

    @property
    def years(self) -> tuple[int, ...]:
        return ((self.year,) if self.year else ()) + self.alt_years


@record
class LinkResolution:
    page: Slug
    link: Link
    target: Slug | None
    link_type: str  # the effective type: declared, or cites/mentions
    self_anchor: bool = False
    kind: str = "page"  # page | external (an embedded URL) | attachment | missing-attachment | tag

@record
class CitationResolution:
    page: Slug
    citation: Citation
    outcome: str  # resolved | unresolved | ambiguous | year-mismatch
    sources: tuple[Slug, ...] = ()


@dataclass
class Wiki:
    config: Config
    pages: dict[Slug, Page]
    sources: dict[Slug, Source]
    graph: nx.MultiDiGraph
    links: tuple[LinkResolution, ...]
    citations: tuple[CitationResolution, ...]
    names: "NameIndex"
    duplicate_slugs: dict[str, tuple[Slug, ...]] = field(default_factory=dict)
    name_conflicts: tuple[tuple[Slug, str, Slug], ...] = ()  # (page, name, the other page)
    _by_page: dict[str, tuple[list, list]] = field(default_factory=dict, repr=False)

    def links_of(self, slug: str) -> list[LinkResolution]:
        return self._index().get(slug, ([], []))[0]

    def citations_of(self, slug: str) -> list[CitationResolution]:
        return self._index().get(slug, ([], []))[1]

    def _index(self) -> dict[str, tuple[list, list]]:
        if not self._by_page:
            for r in self.links:
                self._by_page.setdefault(r.page, ([], []))[0].append(r)
            for r in self.citations:
                self._by_page.setdefault(r.page, ([], []))[1].append(r)
        return self._by_page


def build_wiki(pages: Iterable[Page], config: Config, attachments: Iterable[str] = ()) -> Wiki:
    pages, duplicates = assign_unique_slugs(list(pages))
    by_slug = {p.slug: p for p in pages}
    names = NameIndex(by_slug.values(), attachments)
    sources = {p.slug: source_from_page(p) for p in by_slug.values() if p.type == "source"}
    citation_index = CitationIndex(sources.values())

    graph = nx.MultiDiGraph()
    for page in by_slug.values():  # add_nodes_from, into the node and adjacency dicts directly (see add_typed_edge)
        graph._node[page.slug] = {"type": page.type, "title": page.title, "summary": page.summary,
                                  "tags": page.tags, "path": page.path}
        graph._succ[page.slug] = {}
        graph._pred[page.slug] = {}
    links = []
    by_page = {slug: ([], []) for slug in by_slug}  # what Wiki.links_of and citations_of answer
    for page in by_slug.values():
        page_links = by_page[page.slug][0]
        for link in page.links:
            resolution = resolve_link(page, link, names, by_slug, config)
            page_links.append(resolution)
            target = resolution.target
            if target is not None and target != page.slug:
                add_typed_edge(graph, page.slug, target, resolution.link_type, {
                    "description": link.description, "path": link.path, "line": link.line, "label": link.label})
        links += page_links

    citations = []
    for page in by_slug.values():
        page_citations = by_page[page.slug][1]
        for citation in page.citations:
            outcome, found = citation_index.resolve(citation)
            if outcome is None:
                continue  # a parenthetical that is just prose
            page_citations.append(CitationResolution(page.slug, citation, outcome, found))
            # a year mismatch with a single candidate is that source, cited with the wrong year (a warning)
            linked = outcome == "resolved" or (outcome == "year-mismatch" and len(found) == 1)
            if linked and found[0] != page.slug:
                add_typed_edge(graph, page.slug, found[0], "cites", {
                    "description": None, "path": citation.path, "line": citation.line, "label": None})
        citations += page_citations
    nx._clear_cache(graph)

    return Wiki(config, by_slug, sources, graph, tuple(links), tuple(citations), names,
                duplicates, tuple(names.conflicts()), by_page)


def add_typed_edge(graph: nx.MultiDiGraph, u: str, v: str, key: str, data: dict) -> None:
    """graph.add_edge(u, v, key, **data) between nodes the graph has, unless the edge is there
    already: the first link of a kind between two pages is the edge.

    networkx spends ~7 µs an edge in add_edge (a view object per lookup); this fills the
    adjacency dicts its documentation describes directly, in ~1 µs. The tests check the result
    against add_edges_from. Call nx._clear_cache(graph) when done."""
    keydict = graph._succ[u].get(v)
    if keydict is None:
        keydict = graph._succ[u][v] = graph._pred[v][u] = {}
    if key not in keydict:
        keydict[key] = data


# --- slugs and names -------------------------------------------------------------

def assign_unique_slugs(pages: list[Page]) -> tuple[list[Page], dict[str, tuple[Slug, ...]]]:
    """Pages sharing a stem keep it by shortest path (Obsidian's rule); the others get a path slug."""
    groups: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        groups[page.slug].append(page)
    out, duplicates = [], {}
    for slug, group in groups.items():
        group.sort(key=lambda p: (p.path.count("/"), p.path))
        out.append(group[0])
        for page in group[1:]:
            out.append(replace(page, slug=path_slug(page.path)))
        if len(group) > 1:
            duplicates[slug] = tuple(p.slug for p in out[-len(group):])
    out.sort(key=lambda p: p.path)
    return out, duplicates


def path_slug(path: str) -> Slug:
    parts = PurePosixPath(path).with_suffix("").parts
    return Slug("/".join(syntax.slugify_stem(part) for part in parts))


class NameIndex:
    """Normalised slug, path, alias and title -> pages, for wikilink resolution."""

    def __init__(self, pages: Iterable[Page], attachments: Iterable[str] = ()):
        self.attachments = {a.rpartition("/")[2].casefold() for a in attachments}
        self._classified: dict[str, tuple[str, str | None]] = {}
        self.tags: set[str] = set()
        self.by_slug: dict[str, list[Slug]] = defaultdict(list)
        self.by_path: dict[str, Slug] = {}
        self.by_alias: dict[str, list[Slug]] = defaultdict(list)
        self.by_title: dict[str, list[Slug]] = defaultdict(list)
        # shallowest first, so a name shared by several files goes to the shortest path (Obsidian's rule)
        for page in sorted(pages, key=lambda p: (p.path.count("/"), p.path)):
            self.by_slug[syntax.normalise_name(page.slug)].append(page.slug)
            without_suffix = page.path[:-3] if page.path.lower().endswith(".md") else page.path
            stem = without_suffix.rpartition("/")[2]
            if syntax.normalise_name(stem) != syntax.normalise_name(page.slug):
                self.by_slug[syntax.normalise_name(stem)].append(page.slug)
            self.by_path[syntax.normalise_name(without_suffix)] = page.slug
            for alias in page.aliases:
                self.by_alias[syntax.normalise_name(alias)].append(page.slug)
            self.by_title[syntax.normalise_name(page.title)].append(page.slug)
            self.tags.update(t.casefold() for t in page.tags)

    def resolve(self, target: str) -> Slug | None:
        name = target[:-3] if target.lower().endswith(".md") else target
        key = syntax.normalise_name(name)
        if "/" in name:
            exact = self.by_path.get(key)
            if exact:
                return exact
            suffix = [slug for path, slug in self.by_path.items() if path.endswith("/" + key)]
            if suffix:
                return min(suffix, key=lambda s: (s.count("/"), s))
            return None  # a path names a file: the same name in another folder is not it
        for table in (self.by_slug, self.by_alias, self.by_title):
            found = table.get(key)
            if found:
                return found[0]  # pages are in path order; duplicates are reported
        return None

    def classify(self, target: str) -> tuple[str, str | None]:
        """What a link target names, as (kind, what): ("page", slug or None when there is no such
        page), ("external", url), ("attachment" or "missing-attachment", file name) or ("tag", tag).
        The one place these rules live: the graph and the renderer both ask here."""
        known = self._classified.get(target)
        if known is None:  # a wiki links its popular pages thousands of times
            known = self._classified[target] = self._classify(target)
        return known

    def _classify(self, target: str) -> tuple[str, str | None]:
        if syntax.is_url(target):
            return "external", target
        if syntax.is_attachment(target):
            name = PurePosixPath(target).name
            return ("attachment" if name.casefold() in self.attachments else "missing-attachment"), name
        if target.startswith("tags/") and self.has_tag(target[5:].strip("/")):
            return "tag", target[5:].strip("/")
        slug = self.resolve(target)
        if slug is None and target.endswith("/"):
            slug = self.resolve(target + "index")  # a folder: its index page, as Quartz links it
        return "page", slug

    def has_tag(self, tag: str) -> bool:
        """A tag some page has, or the parent of one (`plugin` for `plugin/filter`)."""
        tag = tag.casefold()
        return tag in self.tags or any(t.startswith(tag + "/") for t in self.tags)

    def all_names(self) -> dict[str, Slug]:
        """Every name a link may use -> its page, for suggestions."""
        out = {}
        for table in (self.by_title, self.by_alias, self.by_slug):
            for key, slugs in table.items():
                out.setdefault(key, slugs[0])
        return out

    def conflicts(self) -> Iterable[tuple[Slug, str, Slug]]:
        """(page, name, owner) where a name reaches a page other than one that claims it.

        Resolution goes slug, then alias, then title, so a name only conflicts within
        the first of those tables that holds it: an alias that is another page's slug,
        an alias two pages share, or (when no slug or alias has it) a title two pages share.
        """
        found = []
        for key in self.by_alias.keys() | self.by_title.keys():
            if key in self.by_slug:
                owner, claims = self.by_slug[key][0], self.by_alias.get(key, [])
            elif key in self.by_alias:
                claims = self.by_alias[key]
                owner = claims[0]
            else:
                claims = self.by_title[key]
                owner = claims[0]
            if len(claims) > 1 or (claims and claims[0] != owner):  # most names: one page, its own
                found.extend((page, key, owner) for page in dict.fromkeys(claims) if page != owner)
        found.sort(key=lambda conflict: conflict[1])  # by name; stable, so each name's claims keep their order
        return found


def resolve_link(page: Page, link: Link, names: NameIndex, pages: dict[Slug, Page],
                 config: Config) -> LinkResolution:
    if not link.target:
        return LinkResolution(page.slug, link, page.slug, "mentions", self_anchor=True)
    kind, target = names.classify(link.target)
    if kind != "page":
        return LinkResolution(page.slug, link, None, "mentions", kind=kind)
    if link.link_type:
        link_type = link.link_type
    elif target is not None and pages[target].type == "source" and "cites" in config.links:
        link_type = "cites"
    else:
        link_type = "mentions"
    return LinkResolution(page.slug, link, target, link_type)


# --- citations --------------------------------------------------------------------

def source_from_page(page: Page) -> Source:
    meta = page.meta
    return Source(page.slug, page.title, tuple(meta.get("authors", ())), meta.get("year"),
                  tuple(meta.get("alt_years", ())), tuple(meta.get("cite_as", ())), meta.get("url"),
                  meta.get("authors_truncated") is True)


@functools.lru_cache(maxsize=1 << 16)  # a wiki cites its sources' authors again and again
def surname_key(name: str) -> str:
    """`Johannes von Oswald` and `von Oswald` -> `oswald`; `Hubinger, Evan` -> `hubinger`."""
    name = name.strip()
    if "," in name:
        name = name.split(",")[0]
    else:
        words = name.split()
        name = words[-1] if words else ""
    words = [w for w in name.split() if w.casefold() not in PARTICLES]
    return syntax.normalise_name(words[-1] if words else name).replace(" ", "-")


def citation_core(citation: Citation) -> str:
    """The citation without its locator: `Hubinger et al. 2019` for `Hubinger et al. (2019, §4)`."""
    if citation.form == "label":
        return citation.text
    names = " & ".join(citation.surnames) if len(citation.surnames) == 2 else ", ".join(citation.surnames)
    return f"{names}{' et al.' if citation.et_al else ''} {citation.year}{citation.year_suffix}"


@functools.lru_cache(maxsize=1 << 16)
def _norm_label(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold().replace("\u2019", "'")).strip().rstrip(".").replace(" and ", " & ")


class CitationIndex:
    def __init__(self, sources: Iterable[Source]):
        self.sources = {s.slug: s for s in sources}
        self.by_key = {s.slug.casefold(): s.slug for s in self.sources.values()}
        self.by_label: dict[str, list[Slug]] = defaultdict(list)
        self.by_surname: dict[str, list[Slug]] = defaultdict(list)
        for s in self.sources.values():
            for label in s.cite_as:
                self.by_label[_norm_label(label)].append(s.slug)
            if s.surnames:
                self.by_surname[s.surnames[0]].append(s.slug)

    def resolve(self, c: Citation) -> tuple[str | None, tuple[Slug, ...]]:
        """(outcome, sources); outcome None means the text is not a citation after all."""
        if c.form == "key":
            if not self.sources:
                return None, ()  # a wiki without source pages does not resolve citations
            slug = self.by_key.get((c.key or "").casefold())
            return ("resolved", (slug,)) if slug else ("unresolved", ())
        core = _norm_label(citation_core(c))
        labelled = self.by_label.get(core)
        if labelled is None and c.form == "label" and "," in c.text:
            labelled = self.by_label.get(_norm_label(c.text.split(",")[0]))
        if labelled:
            return ("resolved", (labelled[0],)) if len(set(labelled)) == 1 else ("ambiguous", tuple(sorted(set(labelled))))
        if c.form == "label":
            return None, ()
        return self._by_author_year(c)

    def _by_author_year(self, c: Citation) -> tuple[str | None, tuple[Slug, ...]]:
        surname = surname_key(c.surnames[0])
        same_author = [self.sources[s] for s in self.by_surname.get(surname, ())]
        if not same_author:
            if not self.sources:
                return None, ()  # a wiki without source pages does not resolve citations
            if c.strong or (c.form == "parenthetical" and _looks_like_name(c)):
                return "unresolved", ()
            return None, ()  # `Opus (2024)`: a single capitalised word before a year is likely prose
        same_year = [s for s in same_author if c.year in s.years]
        if not same_year:
            # every source by that author: the backfill lists a mismatch only when there is just one
            return "year-mismatch", tuple(sorted(s.slug for s in same_author))
        candidates = self._narrow(same_year, c)
        if len(candidates) == 1:
            return "resolved", (candidates[0].slug,)
        return "ambiguous", tuple(sorted(s.slug for s in candidates))

    @staticmethod
    def _narrow(sources: list[Source], c: Citation) -> list[Source]:
        """Prefer sources whose author list fits the citation: co-author names, `et al.`, a year suffix."""
        if len(sources) < 2:
            return sources
        fits = sources
        if len(c.surnames) > 1:
            others = {surname_key(n) for n in c.surnames[1:]}
            fits = [s for s in fits if others <= set(s.surnames[1:])] or fits
        elif c.et_al:
            fits = [s for s in fits if len(s.authors) >= 2] or fits
        else:
            fits = [s for s in fits if len(s.authors) == 1] or fits
        if len(fits) > 1 and c.year_suffix:
            suffixed = [s for s in fits if any(l.rstrip().endswith(f"{c.year}{c.year_suffix}") for l in s.cite_as)]
            fits = suffixed or fits
        return fits


_NOT_NAMES = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december", "spring", "summer", "autumn", "fall", "winter",
              "since", "version", "windows", "python", "circa", "ca", "in", "see", "until", "from"}


def _looks_like_name(c: Citation) -> bool:
    return c.surnames[0].casefold() not in _NOT_NAMES
