"""Questions asked of the graph: statistics, neighbourhoods, paths, reading orders,
unlinked mentions and suggested links.

Pure functions of a Wiki. The heavy algorithms run in igraph's C core where
networkx would take too long at 10,000 pages (Louvain: ~15 s in networkx, under
1 s in igraph; exact betweenness is sampled past a few thousand pages).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

import networkx as nx

from kgwiki import syntax
from kgwiki.graph import Wiki
from kgwiki.model import Location

EXACT_BETWEENNESS_LIMIT = 2000
BETWEENNESS_SAMPLES = 256
HUB_DEGREE = 200  # neighbours this popular say little about two pages being alike
SEED = 7


# --- whole-graph statistics ---------------------------------------------------------

@dataclass(frozen=True)
class Stats:
    pages_by_type: dict[str, int]
    links_by_type: dict[str, int]
    components: list[int]  # sizes, largest first
    orphans: list[str]
    pagerank: list[tuple[str, float]]
    betweenness: list[tuple[str, float]]
    betweenness_exact: bool
    clusters: list[tuple[int, str, list[str]]]  # (size, most central member, members)


def stats(wiki: Wiki, top: int = 10) -> Stats:
    graph = wiki.graph
    nodes = sorted(graph.nodes)
    pages_by_type = dict(sorted(Counter(wiki.pages[n].type for n in nodes).items()))
    links_by_type = dict(sorted(Counter(k for _, _, k in graph.edges(keys=True)).items()))
    components = sorted((len(c) for c in nx.weakly_connected_components(graph)), reverse=True)
    orphans = [n for n in nodes if wiki.pages[n].type != "source" and not any(u != n for u in graph.predecessors(n))]
    ig, index = _igraph(wiki)
    if not nodes:
        return Stats(pages_by_type, links_by_type, components, orphans, [], [], True, [])
    ranks = ig.pagerank(directed=True)
    exact = len(nodes) <= EXACT_BETWEENNESS_LIMIT
    undirected = ig.as_undirected(mode="collapse")
    if exact:
        between = undirected.betweenness(directed=False)
    else:  # Brandes from a seeded sample of sources, scaled up: an estimate, stable run to run
        sample = random.Random(SEED).sample(range(len(nodes)), BETWEENNESS_SAMPLES)
        between = [b * len(nodes) / BETWEENNESS_SAMPLES for b in undirected.betweenness(directed=False, sources=sample)]
    norm = (len(nodes) - 1) * (len(nodes) - 2) / 2 or 1
    import igraph

    igraph.set_random_number_generator(random.Random(SEED))
    try:
        communities = undirected.community_multilevel()
    finally:
        igraph.set_random_number_generator(random)
    clusters = []
    for members in communities:
        names = sorted(nodes[i] for i in members)
        center = max(names, key=lambda n: (ranks[index[n]], n))
        clusters.append((len(names), center, names))
    clusters.sort(key=lambda c: (-c[0], c[1]))
    by_rank = sorted(((n, ranks[index[n]]) for n in nodes), key=lambda t: (-t[1], t[0]))[:top]
    by_between = sorted(((n, between[index[n]] / norm) for n in nodes), key=lambda t: (-t[1], t[0]))[:top]
    return Stats(pages_by_type, links_by_type, components, orphans, by_rank, by_between, exact, clusters)


def _igraph(wiki: Wiki):
    import igraph

    nodes = sorted(wiki.graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    # the adjacency dict, not edges(): one pair per linked pages instead of one tuple per link key
    edges = sorted({(index[u], index[v]) for u, around in wiki.graph.adj.items() for v in around if u != v})
    return igraph.Graph(n=len(nodes), edges=edges, directed=True), index


# --- neighbourhoods, paths, reading orders ---------------------------------------------

@dataclass(frozen=True)
class Step:
    source: str
    target: str
    link_type: str
    forward: bool  # False: the link points from target to source (followed backwards)


def neighbors(wiki: Wiki, slug: str, depth: int = 1, link_type: str | None = None) -> list[tuple[int, Step]]:
    """Pages within `depth` links of `slug` (either direction), with the link that reached each."""
    seen = {slug}
    frontier = [slug]
    found: list[tuple[int, Step]] = []
    for level in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for step in _steps(wiki, node, link_type):
                if step.target not in seen:
                    seen.add(step.target)
                    nxt.append(step.target)
                    found.append((level, step))
        frontier = sorted(nxt)
    return found


def _steps(wiki: Wiki, node: str, link_type: str | None) -> Iterable[Step]:
    graph = wiki.graph
    out = [(v, k) for _, v, k in graph.out_edges(node, keys=True) if link_type in (None, k)]
    back = [(u, k) for u, _, k in graph.in_edges(node, keys=True) if link_type in (None, k)]
    for v, k in sorted(out, key=lambda t: (_rank_key(t[1]), t[0])):
        yield Step(node, v, k, True)
    for u, k in sorted(back, key=lambda t: (_rank_key(t[1]), t[0])):
        yield Step(node, u, k, False)


def _rank_key(link_type: str) -> int:
    return {"mentions": 2, "cites": 1}.get(link_type, 0)  # typed links first


def shortest_path(wiki: Wiki, a: str, b: str, link_type: str | None = None) -> list[Step] | None:
    """The shortest chain of links from a to b (links may be followed either way), typed links preferred."""
    if a == b:
        return []
    parent: dict[str, Step] = {}
    frontier, seen = [a], {a}
    while frontier:
        nxt = []
        for node in frontier:
            for step in _steps(wiki, node, link_type):
                if step.target in seen:
                    continue
                seen.add(step.target)
                parent[step.target] = step
                if step.target == b:
                    path = []
                    while step.target != a:
                        path.append(step)
                        if step.source == a:
                            break
                        step = parent[step.source]
                    return list(reversed(path))
                nxt.append(step.target)
        frontier = nxt
    return None


def links_of_type(wiki: Wiki, link_type: str) -> nx.DiGraph:
    return nx.DiGraph((u, v) for u, v, k in wiki.graph.edges(keys=True) if k == link_type)


def reading_order(wiki: Wiki, slug: str, link_type: str = "requires", requires: nx.DiGraph | None = None) -> list[str]:
    """Every prerequisite of `slug` through `link_type`, transitively, prerequisites first.

    Pass `requires` (from links_of_type) when asking for many pages."""
    requires = requires if requires is not None else links_of_type(wiki, link_type)
    if slug not in requires:
        return []
    needed = nx.descendants(requires, slug)
    if not needed:
        return []
    sub = requires.subgraph(needed)
    try:
        return list(nx.lexicographical_topological_sort(sub.reverse(copy=False),
                                                        key=lambda s: wiki.pages[s].title.casefold()))
    except nx.NetworkXUnfeasible:
        return sorted(needed)


# --- unlinked mentions -----------------------------------------------------------------------

_WORD = re.compile(r"\w[\w'\u2019-]*\w|\w")


@dataclass(frozen=True)
class Mention:
    page: str
    location: Location
    text: str  # as written in the prose
    target: str


def unlinked_mentions(wiki: Wiki, min_length: int = 4) -> list[Mention]:
    """Prose naming another page's title or alias as whole words, on a page that never links to it.

    One mention per (page, target): the first. Code, links, the generated sources block
    and the page's own names are skipped. Names are matched case-insensitively, word by word.
    """
    names = _name_index(wiki, min_length)
    first_words = set(names)
    found: list[Mention] = []
    for slug in sorted(wiki.pages):
        page = wiki.pages[slug]
        masked = _mask_citations(_mask_links(syntax.mask_code(page.body)))
        # Most pages name no other page: a set intersection (in C) tells, before any word-by-word scan.
        if first_words.isdisjoint(_WORD.findall(masked.casefold())):
            continue
        linked = set(wiki.graph.successors(slug)) | {slug}
        lines = syntax.LineIndex(page.body, page.body_line)
        words = [(m.group(0).casefold(), m.start(), m.end()) for m in _WORD.finditer(masked)]
        reported: set[str] = set()
        for i, (word, start, _) in enumerate(words):
            for tokens, target in names.get(word, ()):
                if target in linked or target in reported:
                    continue
                end_index = i + len(tokens)
                if end_index <= len(words) and all(words[i + j][0] == tokens[j] for j in range(1, len(tokens))):
                    end = words[end_index - 1][2]
                    if "\n\n" in masked[start:end]:
                        continue
                    line, col = lines.position(start)
                    found.append(Mention(slug, Location(page.path, line, col), page.body[start:end], target))
                    reported.add(target)
    return found


def _name_index(wiki: Wiki, min_length: int) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First word -> [(all words of a name, page)], longest names first."""
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for slug, page in wiki.pages.items():
        if page.type == "source":
            continue  # sources are cited, not mentioned by title
        for name in (page.title, *page.aliases):
            tokens = tuple(w.casefold() for w in _WORD.findall(name))
            if tokens and len(name) >= min_length and not name.isdigit():
                owners[tokens].add(slug)
    index: dict[str, list] = defaultdict(list)
    for tokens, slugs in owners.items():
        if len(slugs) == 1:  # a name two pages share is no evidence for either
            index[tokens[0]].append((tokens, next(iter(slugs))))
    for entries in index.values():
        entries.sort(key=lambda e: (-len(e[0]), e[1]))
    return index


# Two patterns, each starting with a literal the regex engine can skip to (one alternation of
# all four forms scans ten times slower); URLs are looked for only where there are any.
_LINKS = re.compile(r"\[\[[^\]\n]*\]\]|\[[^\]\n]*\]\([^)\n]*\)")
_URLS = re.compile(r"<?https?://[^>\s]+>?")


def _mask_citations(text: str) -> str:
    """Author names inside citations are no mention of a page about that person."""
    if not any(ch.isdigit() for ch in text):
        return text
    spans = [(c.offset, c.offset + len(c.text)) for c in syntax.find_citations(text) if c.form != "label"]
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        if start >= pos:
            out.append(text[pos:start])
            out.append(" " * (end - start))
            pos = end
    out.append(text[pos:])
    return "".join(out)


def _mask_links(text: str) -> str:
    text = _LINKS.sub(lambda m: " " * len(m.group(0)), text)
    if "://" in text:
        text = _URLS.sub(lambda m: " " * len(m.group(0)), text)
    return text


# --- suggested links -------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    page: str
    target: str
    link_type: str
    evidence: str
    kind: str  # missing-inverse | shared-sources | common-neighbours
    score: float


def suggested_links(wiki: Wiki, per_page: int = 3) -> list[Suggestion]:
    """Graph evidence for typed links that are missing, ranked by strength of evidence."""
    out = list(_missing_inverses(wiki)) + list(_shared_sources(wiki)) + list(_common_neighbours(wiki))
    best: dict[tuple[str, str], Suggestion] = {}
    for s in out:
        key = (s.page, s.target)
        if key not in best or s.score > best[key].score:
            best[key] = s
    by_page: dict[str, list[Suggestion]] = defaultdict(list)
    for s in best.values():
        by_page[s.page].append(s)
    ranked = []
    for page in sorted(by_page):
        ranked.extend(sorted(by_page[page], key=lambda s: (-s.score, s.target))[:per_page])
    return sorted(ranked, key=lambda s: (-s.score, s.page, s.target))


def _link_type_between(wiki: Wiki, a: str, b: str) -> str | None:
    """The section link type that fits a page of a's type pointing at one of b's type; symmetric first."""
    ta, tb = wiki.pages[a].type, wiki.pages[b].type
    fits = [lt for lt in wiki.config.links.values()
            if lt.name not in ("mentions", "cites") and (lt.from_types is None or ta in lt.from_types)
            and (lt.to_types is None or tb in lt.to_types) and (lt.section or lt.field)]
    fits.sort(key=lambda lt: (not lt.symmetric, lt.acyclic, lt.name))
    return fits[0].name if fits else None


def _linked(wiki: Wiki, a: str, b: str) -> bool:
    return wiki.graph.has_edge(a, b) or wiki.graph.has_edge(b, a)


def _missing_inverses(wiki: Wiki) -> Iterable[Suggestion]:
    for u, v, k in wiki.graph.edges(keys=True):
        lt = wiki.config.links.get(k)
        if lt and lt.symmetric and not wiki.graph.has_edge(v, u, key=k) and \
                (lt.from_types is None or wiki.pages[v].type in lt.from_types):
            yield Suggestion(v, u, k, f"{u} lists it as `{k}`, and `{k}` goes both ways", "missing-inverse", 10.0)


def _shared_sources(wiki: Wiki, minimum: int = 2) -> Iterable[Suggestion]:
    citers: dict[str, list[str]] = defaultdict(list)
    for u, v, k in wiki.graph.edges(keys=True):
        if k == "cites" and wiki.pages[u].type != "source":
            citers[v].append(u)
    shared: Counter = Counter()
    for source, pages in citers.items():
        pages = sorted(set(pages))
        if len(pages) > HUB_DEGREE:
            continue
        for i, a in enumerate(pages):
            for b in pages[i + 1:]:
                shared[(a, b)] += 1
    for (a, b), count in shared.items():
        if count < minimum or _linked(wiki, a, b):
            continue
        link_type = _link_type_between(wiki, a, b)
        if link_type:
            yield Suggestion(a, b, link_type, f"both cite {count} of the same sources", "shared-sources",
                             2.0 + count)


def _common_neighbours(wiki: Wiki, threshold: float = 2.5) -> Iterable[Suggestion]:
    """Adamic-Adar over typed links: pairs at distance two that share many rare neighbours."""
    und: dict[str, set[str]] = defaultdict(set)
    for u, v, k in wiki.graph.edges(keys=True):
        if k not in ("mentions", "cites") and u != v:
            und[u].add(v)
            und[v].add(u)
    scores: dict[tuple[str, str], float] = defaultdict(float)
    common: Counter = Counter()
    for middle, around in und.items():
        if len(around) < 2 or len(around) > HUB_DEGREE:
            continue
        weight = 1 / math.log(len(around))
        ordered = sorted(around)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                scores[(a, b)] += weight
                common[(a, b)] += 1
    for (a, b), score in scores.items():
        if score < threshold or common[(a, b)] < 3 or _linked(wiki, a, b):
            continue
        link_type = _link_type_between(wiki, a, b)
        if link_type:
            yield Suggestion(a, b, link_type, f"{common[(a, b)]} neighbours in common (Adamic-Adar {score:.1f})",
                             "common-neighbours", round(score, 2))
