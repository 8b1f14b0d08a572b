"""Wiki -> [Diagnostic]: a table of small rules, each a pure function of the wiki.

Severity comes from wiki.toml's [severity] (or the code's default); a page can
silence a code for itself with `ignore: [code]` in its front matter.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Callable, Iterable, Iterator

import networkx as nx

from kgwiki import analysis, sources_cited, syntax
from kgwiki.graph import Wiki, citation_core
from kgwiki.model import Diagnostic, Location, Page, Slug

Rule = Callable[[Wiki], Iterable[Diagnostic]]


def validate(wiki: Wiki, upstream: Iterable[Diagnostic] = (), suggestions: bool = False,
             only: set[str] | None = None) -> list[Diagnostic]:
    """Every diagnostic of the wiki (the rules' and those found while reading and parsing), sorted.

    `suggestions` adds the writer's aids (unlinked-mention, suggested-link): evidence for links
    worth adding rather than defects, and the costliest rules, so they run when asked for.
    `only` (page paths) keeps just the diagnostics located in those files, and runs the
    link and citation rules over those pages' links and citations alone."""
    found = list(upstream)
    view = wiki
    if only is not None:
        view = dataclasses.replace(wiki, links=tuple(r for r in wiki.links if wiki.pages[r.page].path in only),
                                   citations=tuple(r for r in wiki.citations if wiki.pages[r.page].path in only),
                                   _by_page={})
    for rule in RULES + (SUGGESTION_RULES if suggestions else ()):
        found.extend(rule(view))
    if only is not None:
        found = [d for d in found if d.location.path in only]
    return finalise(wiki, found)


def finalise(wiki: Wiki, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    ignored = {p.path: p.ignore for p in wiki.pages.values() if p.ignore}
    kept = {d for d in diagnostics
            if d.severity != "off" and d.code not in ignored.get(d.location.path, ())}
    return sorted(kept, key=lambda d: d.sort_key)


def _diag(wiki: Wiki, code: str, location: Location, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, wiki.config.severity_of(code), location, message, hint)


# --- links ------------------------------------------------------------------------

def broken_links(wiki: Wiki) -> Iterator[Diagnostic]:
    for r in wiki.links:
        if r.kind == "missing-attachment":
            yield _diag(wiki, "broken-link", r.link.location, f"[[{r.link.target}]]: no file of that name in the wiki")
    broken = [r for r in wiki.links if r.target is None and not r.self_anchor and r.kind == "page"]
    hints = Suggester(wiki).hints([r.link.target for r in broken])
    for r in broken:
        shown = r.link.target + (f"#{r.link.anchor}" if r.link.anchor else "")
        yield _diag(wiki, "broken-link", r.link.location, f"[[{shown}]] links to no page",
                    hints[r.link.target])


def broken_anchors(wiki: Wiki) -> Iterator[Diagnostic]:
    for r in wiki.links:
        anchor = r.link.anchor
        if r.target is None or not anchor or anchor.startswith("^"):
            continue  # `#^block` references name no heading
        target = wiki.pages[r.target]
        anchors = {h.anchor for h in target.headings}
        if syntax.anchor_id(anchor) not in anchors and anchor not in anchors:
            from rapidfuzz import fuzz, process  # here: numpy and rapidfuzz take ~0.1 s to import

            near = process.extract(anchor, [h.text for h in target.headings], scorer=fuzz.WRatio,
                                   limit=2, score_cutoff=60)
            hint = "did you mean " + ", ".join(f"`#{t}`" for t, _, _ in near) + "?" if near else None
            yield _diag(wiki, "broken-anchor", r.link.location,
                        f"`{target.path}` has no heading `{anchor}`", hint)


def wrong_link_types(wiki: Wiki) -> Iterator[Diagnostic]:
    config = wiki.config
    for r in wiki.links:
        if r.target is None or r.self_anchor:
            continue
        page, target = wiki.pages[r.page], wiki.pages[r.target]
        lt = config.links.get(r.link_type)
        if lt is None:
            if config.has_schema:
                yield _diag(wiki, "wrong-link-type", r.link.location, f"unknown link type `{r.link_type}`",
                            f"declared link types: {', '.join(sorted(config.links))}")
            continue
        if lt.to_types is not None and target.type not in lt.to_types:
            yield _diag(wiki, "wrong-link-type", r.link.location,
                        f"a `{lt.name}` link must point to a {_either(lt.to_types)} page, "
                        f"but [[{r.link.target}]] is of type `{target.type}`",
                        _wrong_type_hint(wiki, r.link_type, target.type))
        elif lt.from_types is not None and page.type not in lt.from_types:
            yield _diag(wiki, "wrong-link-type", r.link.location,
                        f"a {page.type} page cannot have `{lt.name}` links "
                        f"(only {_either(lt.from_types)} pages can)")


def _either(names: tuple[str, ...]) -> str:
    return " or ".join(f"`{n}`" for n in names) or "no"


def _wrong_type_hint(wiki: Wiki, link_type: str, target_type: str) -> str | None:
    fits = [lt.name for lt in wiki.config.links.values()
            if lt.section and lt.to_types and target_type in lt.to_types and lt.name != link_type]
    if not fits:
        return None
    sections = [wiki.config.links[name].section for name in fits]
    return "list it under " + " or ".join(f"'{s}'" for s in sections) + " instead"


def self_links(wiki: Wiki) -> Iterator[Diagnostic]:
    for r in wiki.links:
        if r.target == r.page and not r.self_anchor:
            yield _diag(wiki, "self-link", r.link.location, f"[[{r.link.target}]] links the page to itself")


def duplicate_links(wiki: Wiki) -> Iterator[Diagnostic]:
    seen = set()
    for r in wiki.links:
        if r.target is None or r.link.link_type is None:
            continue  # repeating a mention in prose is normal
        key = (r.page, r.target, r.link_type)
        if key in seen:
            yield _diag(wiki, "duplicate-link", r.link.location,
                        f"[[{r.link.target}]] is already a `{r.link_type}` link of this page")
        seen.add(key)


def asymmetric_links(wiki: Wiki) -> Iterator[Diagnostic]:
    symmetric = {name: lt for name, lt in wiki.config.links.items() if lt.symmetric}
    if not symmetric:
        return
    succ = wiki.graph._succ  # the adjacency dicts themselves: has_edge (a view per call) cost half the rule
    pages = wiki.pages
    for r in wiki.links:
        lt = symmetric.get(r.link_type)
        if not lt or r.target is None or r.target == r.page:
            continue
        if (lt.to_types is not None and pages[r.target].type not in lt.to_types) or \
                (lt.from_types is not None and pages[r.page].type not in lt.from_types):
            continue  # already a wrong-link-type error
        if lt.name not in succ[r.target].get(r.page, ()):
            path = pages[r.target].path
            where = f"under '{lt.section}'" if lt.section else f"in its `{lt.field}` field"
            yield _diag(wiki, "asymmetric-link", r.link.location,
                        f"`{lt.name}` is symmetric, but {path} does not link back to {r.page}",
                        f"add [[{r.page}]] to {path} {where}")


def link_cycles(wiki: Wiki) -> Iterator[Diagnostic]:
    for lt in wiki.config.links.values():
        if not lt.acyclic:
            continue
        sub = nx.DiGraph([(u, v) for u, targets in wiki.graph._succ.items()
                          for v, keys in targets.items() if lt.name in keys])
        for component in sorted(nx.strongly_connected_components(sub), key=min):
            if len(component) < 2:
                continue
            cycle = nx.find_cycle(sub.subgraph(component))
            first = min(cycle)
            data = wiki.graph.get_edge_data(first[0], first[1], key=lt.name)
            chain = " → ".join([u for u, _ in cycle] + [cycle[0][0]])
            yield _diag(wiki, "link-cycle", Location(data["path"], data["line"], None),
                        f"`{lt.name}` links form a cycle: {chain}",
                        f"`{lt.name}` must be acyclic: remove one of these links")


# --- pages ------------------------------------------------------------------------

def duplicate_slugs(wiki: Wiki) -> Iterator[Diagnostic]:
    for stem, slugs in wiki.duplicate_slugs.items():
        first = wiki.pages[slugs[0]]
        for slug in slugs[1:]:
            page = wiki.pages[slug]
            yield _diag(wiki, "duplicate-slug", Location(page.path),
                        f"{first.path} has the same file name `{stem}`; [[{stem}]] links to {first.path}",
                        f"rename one of them, or link to this page as [[{page.slug}]]")


def alias_conflicts(wiki: Wiki) -> Iterator[Diagnostic]:
    for slug, name, other in wiki.name_conflicts:
        page = wiki.pages[slug]
        field = "aliases" if name in {syntax.normalise_name(a) for a in page.aliases} else "title"
        yield _diag(wiki, "alias-conflict", Location(page.path, page.field_lines.get(field, 1), 1),
                    f"the name '{name}' is also used by {wiki.pages[other].path}; [[{name}]] goes to {other}",
                    "remove or change one of the aliases or titles")


def titles_and_types(wiki: Wiki) -> Iterator[Diagnostic]:
    config = wiki.config
    if not config.has_schema:
        return
    for page in wiki.pages.values():
        if not page.title_from_meta and not any(h.level == 1 for h in page.headings):
            yield _diag(wiki, "missing-title", Location(page.path, 1, None), "the page has no `title`",
                        "add `title: …` to its front matter")
        if page.type not in config.types:
            yield _diag(wiki, "unknown-type", Location(page.path, 1, None),
                        f"unknown page type `{page.type}`",
                        f"declared types: {', '.join(sorted(config.types))}")


def required_fields_and_sections(wiki: Wiki) -> Iterator[Diagnostic]:
    for page in wiki.pages.values():
        page_type = wiki.config.types.get(page.type)
        if page_type is None:
            continue
        for name in page_type.required:
            value = page.summary if name == "summary" else page.meta.get(name)
            if value in (None, "", [], ()):
                yield _diag(wiki, "missing-field", Location(page.path, 1, None),
                            f"a {page.type} page needs the field `{name}`")
        present = {h.text.casefold() for h in page.headings}
        for section in page_type.sections:
            if section.casefold() not in present:
                yield _diag(wiki, "missing-section", Location(page.path),
                            f"a {page.type} page needs a `## {section}` section")


def orphans(wiki: Wiki) -> Iterator[Diagnostic]:
    pred = wiki.graph._pred
    for slug, page in wiki.pages.items():
        if page.type == "source" or slug == "index":
            continue  # sources have uncited-source; the home page needs no inbound link
        if not any(u != slug for u in pred[slug]):
            yield _diag(wiki, "orphan-page", Location(page.path), "no other page links to this page")


def uncited_sources(wiki: Wiki) -> Iterator[Diagnostic]:
    pred = wiki.graph._pred
    for slug in wiki.sources:
        if not any("cites" in keys for keys in pred[slug].values()):
            yield _diag(wiki, "uncited-source", Location(wiki.pages[slug].path), "no page cites this source")


# --- citations --------------------------------------------------------------------

def citation_problems(wiki: Wiki) -> Iterator[Diagnostic]:
    suggester = None
    for r in wiki.citations:
        c = r.citation
        shown = f"[{c.text}]" if c.form == "key" else f"({c.text})" if c.form != "narrative" else c.text
        if r.outcome == "unresolved":
            suggester = suggester or CitationSuggester(wiki)
            yield _diag(wiki, "unresolved-citation", c.location, f"{shown} matches no source",
                        suggester.hint(c))
        elif r.outcome == "ambiguous":
            yield _diag(wiki, "ambiguous-citation", c.location,
                        f"{shown} matches {len(r.sources)} sources equally: {', '.join(r.sources)}",
                        "cite by key, e.g. [@" + r.sources[0] + "], or give each source a distinct `cite_as`")
        elif r.outcome == "year-mismatch":
            found = [wiki.sources[s] for s in r.sources]
            years = ", ".join(f"{s.slug} ({s.year})" for s in found)
            hint = None
            if len(found) == 1:
                s = found[0]
                hint = (f"cite it as ({citation_core(c).rsplit(' ', 1)[0]} {s.year}), "
                        f"or add {c.year} to the source's `alt_years`")
            yield _diag(wiki, "citation-year-mismatch", c.location,
                        f"{shown}: no source by {c.surnames[0]} is from {c.year}; by that author: {years}", hint)


def stale_sources_cited(wiki: Wiki) -> Iterator[Diagnostic]:
    """A page whose generated block differs from what `kgwiki cite` would write.

    Pages without markers count only in a wiki that uses the backfill somewhere."""
    uses_backfill = None
    for slug, page in wiki.pages.items():
        try:
            span = sources_cited.find_block(page.body)
        except sources_cited.MarkerError as exc:
            location = sources_cited.stale_location(page.path, page.body, exc.offset)
            yield _diag(wiki, "stale-sources-cited", Location(page.path, location.line + page.body_line - 1,
                                                                location.col),
                        f"cannot update the sources block: {exc}", "fix the markers by hand")
            continue
        if span is None:
            if uses_backfill is None:
                uses_backfill = any(sources_cited.MARKER_NAME in p.body and sources_cited.OPEN_RE.search(p.body)
                                    for p in wiki.pages.values())  # `in` first: a tenth of the regex's cost
            if uses_backfill and sources_cited.entries(wiki, slug):
                yield _diag(wiki, "stale-sources-cited", Location(page.path),
                            "the page cites sources but has no generated Sources cited section",
                            "run `kgwiki cite` to add it")
            continue
        if page.body[span.start:span.end] != sources_cited.expected_block(wiki, slug):
            location = sources_cited.stale_location(page.path, page.body, span.start)
            yield _diag(wiki, "stale-sources-cited", Location(page.path, location.line + page.body_line - 1, None),
                        "the generated Sources cited block is out of date", "run `kgwiki cite` to update it")


def unlinked_mentions(wiki: Wiki) -> Iterator[Diagnostic]:
    if wiki.config.severity_of("unlinked-mention") == "off":
        return
    for m in analysis.unlinked_mentions(wiki):
        yield _diag(wiki, "unlinked-mention", m.location, f"'{m.text}' names [[{m.target}]] without linking it",
                    f"link it: [[{m.target}|{m.text}]]")


def suggested_links(wiki: Wiki) -> Iterator[Diagnostic]:
    if wiki.config.severity_of("suggested-link") == "off":
        return
    for s in analysis.suggested_links(wiki):
        if s.kind == "missing-inverse":
            continue  # already an asymmetric-link warning
        page = wiki.pages[s.page]
        lt = wiki.config.links[s.link_type]
        line = next((h.line for h in page.headings if lt.section and h.text.casefold() == lt.section.casefold()), None)
        where = f"under '{lt.section}'" if lt.section else f"to `{lt.field}`"
        yield _diag(wiki, "suggested-link", Location(page.path, line, None),
                    f"consider a `{s.link_type}` link to [[{s.target}]]: {s.evidence}",
                    f"add - [[{s.target}]] — … {where}")


# --- suggestions ------------------------------------------------------------------

class Suggester:
    """'Did you mean' for page names: best of ratio and token_sort_ratio over normalised names.

    Queries are scored in one batch (rapidfuzz's cdist, in C on every core): one
    query at a time over 30,000 names costs ~10 ms each.
    """

    def __init__(self, wiki: Wiki):
        self.wiki = wiki
        self.names = wiki.names.all_names()
        self.keys = list(self.names)

    def suggest_many(self, targets: list[str], limit: int = 3) -> dict[str, list[Slug]]:
        import numpy
        from rapidfuzz import fuzz, process

        queries = sorted({syntax.normalise_name(t) for t in targets})
        out: dict[str, list[Slug]] = {}
        if not queries or not self.keys:
            return {q: [] for q in queries}
        for start in range(0, len(queries), 256):
            batch = queries[start:start + 256]
            scores = numpy.maximum(process.cdist(batch, self.keys, scorer=fuzz.ratio, dtype="uint8", workers=-1),
                               process.cdist(batch, self.keys, scorer=fuzz.token_sort_ratio, dtype="uint8",
                                             workers=-1))
            for query, row in zip(batch, scores):
                best: dict[Slug, int] = {}
                for index in row.argsort()[::-1][:limit * 3]:
                    if row[index] < 60:
                        break
                    slug = self.names[self.keys[index]]
                    best[slug] = max(best.get(slug, 0), int(row[index]))
                out[query] = [s for s, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
        return out

    def hints(self, targets: list[str]) -> dict[str, str | None]:
        found = self.suggest_many(targets)
        return {t: self._hint(found[syntax.normalise_name(t)]) for t in targets}

    def hint(self, target: str) -> str | None:
        return self.hints([target])[target]

    def _hint(self, slugs: list[Slug]) -> str | None:
        if not slugs:
            return None
        shown = [f"[[{s}]]" + (f" ({self.wiki.pages[s].title})" if self.wiki.pages[s].title != s else "")
                 for s in slugs]
        return "did you mean " + ", ".join(shown) + "?"


class CitationSuggester:
    """'Did you mean' for citations: close surnames (author-year) or close keys ([@key])."""

    def __init__(self, wiki: Wiki):
        self.wiki = wiki
        self.by_surname: dict[str, list] = defaultdict(list)
        for s in wiki.sources.values():
            if s.authors:
                first = s.authors[0]
                self.by_surname[first.split(",")[0].strip() if "," in first else first.split()[-1]].append(s)

    def hint(self, c) -> str | None:
        from rapidfuzz import fuzz, process

        if c.form == "key":
            near = process.extract(c.key or "", list(self.wiki.sources), scorer=fuzz.ratio, limit=3,
                                   score_cutoff=60)
            return "did you mean " + ", ".join(f"[@{k}]" for k, _, _ in near) + "?" if near else None
        near = process.extract(c.surnames[0], list(self.by_surname), scorer=fuzz.ratio, limit=2,
                               score_cutoff=75)
        forms = [label for name, _, _ in near for s in self.by_surname[name]
                 for label in (s.cite_as[:1] or (f"{name} {s.year}",))]
        return "did you mean " + ", ".join(f"({f})" for f in forms[:4]) + "?" if forms else None


RULES: tuple[Rule, ...] = (
    broken_links, broken_anchors, wrong_link_types, self_links, duplicate_links, asymmetric_links,
    link_cycles, duplicate_slugs, alias_conflicts, titles_and_types, required_fields_and_sections,
    orphans, uncited_sources, citation_problems, stale_sources_cited,
)
SUGGESTION_RULES: tuple[Rule, ...] = (unlinked_mentions, suggested_links)
