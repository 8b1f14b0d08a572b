"""Questions asked of the graph: statistics, neighbourhoods, paths, reading orders,
unlinked mentions and suggested links.

Pure functions of a Wiki. The heavy algorithms run in igraph's C core where
networkx would take too long at 10,000 pages (Louvain: ~15 s in networkx, under
1 s in igraph; exact betweenness is sampled past a few thousand pages).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import operator
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
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
    ig, nodes = _igraph(wiki)
    pages_by_type = dict(sorted(Counter(wiki.pages[n].type for n in nodes).items()))
    # the adjacency's raw dicts (neighbour -> {link type: data}): no edge tuples made
    links_by_type = dict(sorted(Counter(k for _, around in wiki.graph.adjacency()
                                        for keys in around.values() for k in keys).items()))
    components = sorted(ig.connected_components(mode="weak").sizes(), reverse=True)
    has_linker = ig.indegree()  # self-links are not in the igraph: any in-link is from another page
    orphans = [n for i, n in enumerate(nodes) if not has_linker[i] and wiki.pages[n].type != "source"]
    if not nodes:
        return Stats(pages_by_type, links_by_type, components, orphans, [], [], True, [])
    ranks = ig.pagerank(directed=True)
    undirected = ig.as_undirected(mode="collapse")
    between, exact = _betweenness(undirected)
    return Stats(pages_by_type, links_by_type, components, orphans, _top(nodes, ranks, top),
                 _top(nodes, between, top), exact, _clusters(undirected, nodes, ranks))


def _betweenness(undirected) -> tuple[list[float], bool]:
    """Normalised betweenness of each vertex, and whether it is exact."""
    n = undirected.vcount()
    norm = (n - 1) * (n - 2) / 2 or 1
    if n <= EXACT_BETWEENNESS_LIMIT:
        return [b / norm for b in undirected.betweenness(directed=False)], True
    # Brandes from a seeded sample of sources, scaled up: an estimate, stable run to run
    sample = random.Random(SEED).sample(range(n), BETWEENNESS_SAMPLES)
    return [b * n / BETWEENNESS_SAMPLES / norm for b in undirected.betweenness(directed=False, sources=sample)], False


def _top(nodes: list[str], scores: list[float], top: int) -> list[tuple[str, float]]:
    return heapq.nsmallest(top, zip(nodes, scores), key=lambda t: (-t[1], t[0]))  # = sorted(...)[:top]


def _clusters(undirected, nodes: list[str], ranks: list[float]) -> list[tuple[int, str, list[str]]]:
    clusters = []
    for members in _communities(undirected):
        center = max(members, key=lambda i: (ranks[i], nodes[i]))
        clusters.append((len(members), nodes[center], sorted(nodes[i] for i in members)))
    return sorted(clusters, key=lambda c: (-c[0], c[1]))


def _communities(undirected):
    """Louvain clusters, seeded so that they are the same run to run."""
    import igraph

    igraph.set_random_number_generator(random.Random(SEED))
    try:
        return undirected.community_multilevel()
    finally:
        igraph.set_random_number_generator(random)


def _igraph(wiki: Wiki):
    """The pages (sorted) as an igraph with one edge per linked pair, and the sorted slugs (vertex ids)."""
    import igraph

    nodes = sorted(wiki.graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    adjacency = dict(wiki.graph.adjacency())
    edges: list[tuple[int, int]] = []
    for i, u in enumerate(nodes):  # in vertex order, neighbours sorted: the pairs come out sorted
        around = sorted(map(index.__getitem__, adjacency[u]))
        if u in adjacency[u]:
            around.remove(i)  # a self-link is no link between pages
        edges.extend(zip(itertools.repeat(i), around))
    return igraph.Graph(n=len(nodes), edges=edges, directed=True), nodes


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
_WORD_SPLIT = re.compile(f"({_WORD.pattern})")  # split() keeps the words: [gap, word, gap, word, ..., gap]
QUICK_CHECK_WORDS = 16  # a substring search per first word beats a word-by-word pass only for a few


@dataclass(frozen=True)
class Mention:
    page: str
    location: Location
    text: str  # as written in the prose
    target: str


@dataclass
class _Node:
    """A trie over the words of names: the page a name ending here belongs to, and longer names."""

    target: str | None = None
    longer: dict[str, "_Node"] = field(default_factory=dict)


def unlinked_mentions(wiki: Wiki, min_length: int = 4) -> list[Mention]:
    """Prose naming another page's title or alias as whole words, on a page that never links to it.

    One mention per (page, target): the first. Code, links, the generated sources block
    and the page's own names are skipped. Names are matched case-insensitively, word by word,
    longest first: one pass over a page's words, each looked up in a trie of names.
    """
    names = _name_trie(wiki, min_length)
    quick = tuple(w.encode("utf-8", "surrogatepass") for w in names.first_words) \
        if len(names.first_words) <= QUICK_CHECK_WORDS else None
    found: list[Mention] = []
    for slug in sorted(wiki.pages):
        if quick is None or _may_mention(wiki.pages[slug].body, quick):
            found.extend(_page_mentions(wiki, slug, names))
    return found


def _page_mentions(wiki: Wiki, slug: str, names: _Names) -> list[Mention]:
    page = wiki.pages[slug]
    masked = _mask_citations(_mask_links(syntax.mask_code(page.body)))
    # Words are cased one by one below; casing the whole text gives other words only when some
    # character cases into another kind (e.g. "İ" into "i" and a combining dot).
    if not _cases_in_place(masked) and names.first_words.isdisjoint(_WORD.findall(masked.casefold())):
        return []
    parts = _WORD_SPLIT.split(masked)
    words = list(map(str.casefold, parts[1::2]))
    hits = _starts(words, names)
    if not hits:
        return []
    ends = list(itertools.accumulate(map(len, parts)))  # word i is parts[2i + 1]: masked[ends[2i]:ends[2i + 1]]
    skip = set(wiki.graph.successors(slug)) | {slug}  # linked, then also reported
    lines = None
    found = []
    for i in hits:
        for last, target in _matches(names.roots[words[i]], words, i):
            if target in skip:
                continue
            start, end = ends[2 * i], ends[2 * last + 1]
            if last > i and "\n\n" in masked[start:end]:
                continue
            if lines is None:
                lines = syntax.LineIndex(page.body, page.body_line)
            line, col = lines.position(start)
            found.append(Mention(slug, Location(page.path, line, col), page.body[start:end], target))
            skip.add(target)
    return found


def _starts(words: list[str], names: _Names) -> list[int]:
    """Where a name may start: a one-word name, or the first two words of a longer one. Worked out
    in C (map, zip, compress), since most words of a page start no name."""
    following = itertools.chain(itertools.islice(words, 1, None), ("",))
    may = map(operator.or_, map(names.single.__contains__, words),
              map(names.pairs.__contains__, zip(words, following)))
    return list(itertools.compress(itertools.count(), may))


def _matches(node: _Node, words: list[str], i: int) -> list[tuple[int, str]]:
    """(index of the last word, page) of each name whose words start at words[i], longest first."""
    found = [(i, node.target)] if node.target is not None else []
    j = i + 1
    while node.longer and j < len(words) and words[j] in node.longer:
        node = node.longer[words[j]]
        if node.target is not None:
            found.append((j, node.target))
        j += 1
    return found[::-1]


@dataclass
class _Names:
    """The names to look for: first word -> trie, and the sets that tell where a name may start."""

    roots: dict[str, _Node]
    first_words: set[str]  # of the names that name one page (the trie also holds shared ones)
    single: set[str]  # first words that are a whole name of one page
    pairs: set[tuple[str, str]]  # the first two words of longer names


def _name_trie(wiki: Wiki, min_length: int) -> _Names:
    """First word -> trie of the names starting with it (as words, cased), each naming one page."""
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for slug, page in wiki.pages.items():
        if page.type == "source":
            continue  # sources are cited, not mentioned by title
        for name in (page.title, *page.aliases):
            tokens = tuple(map(str.casefold, _WORD.findall(name)))
            if tokens and len(name) >= min_length and not name.isdigit():
                owners[tokens].add(slug)
    roots: dict[str, _Node] = {}
    for tokens, slugs in owners.items():
        node = roots.setdefault(tokens[0], _Node())
        for word in tokens[1:]:
            node = node.longer.setdefault(word, _Node())
        if len(slugs) == 1:  # a name two pages share is no evidence for either
            node.target = next(iter(slugs))
    first_words = {tokens[0] for tokens, slugs in owners.items() if len(slugs) == 1}
    single = {w for w, node in roots.items() if node.target is not None}
    return _Names(roots, first_words, single, {(w, second) for w, node in roots.items() for second in node.longer})


# --- the quick check: can a page name anything at all? ---------------------------------------
#
# With a few first words (a wiki whose names share a prefix), most pages name no other page, and
# a substring search in C says so before the page is masked and split into words. The check may
# say yes wrongly, never no wrongly: every word of the masked prose is, in the raw text, a whole
# word, or the start of one that masking cut (before a URL, or after a hyphen or apostrophe where
# a narrative citation starts). So a first word counts where it is not preceded by a letter or
# digit, and is followed by none, or by "http(s)://". Wikilinks with nothing but a target and a
# label are blanked first: whatever else masking does, their words are never prose.

_PLAIN_LINK = re.compile(r"\[\[[^\[\]\n`<>()]*\]\]")
_ASCII = bytes(range(128))
_WORD_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
_URL_STARTS = (b"http://", b"https://")


def _may_mention(body: str, first_words: tuple[bytes, ...]) -> bool:
    data = _cased_bytes(_PLAIN_LINK.sub(" ", body))
    return any(_whole_word_in(data, word) for word in first_words)


def _cased_bytes(text: str) -> bytes:
    """text.casefold() as UTF-8; ASCII-lowering the bytes is the same, and much faster, when no
    other character changes under casefold (typical prose: dashes, quotes, accented lower case)."""
    data = text.encode("utf-8", "surrogatepass")
    if text.isascii() or _fold_to_themselves(data.translate(None, _ASCII)):
        return data.lower()
    return text.casefold().encode("utf-8", "surrogatepass")


def _whole_word_in(data: bytes, word: bytes) -> bool:
    pos = data.find(word)
    while pos >= 0:
        end = pos + len(word)
        if (pos == 0 or data[pos - 1] not in _WORD_BYTES) and \
                (end == len(data) or data[end] not in _WORD_BYTES or data.startswith(_URL_STARTS, end)):
            return True
        pos = data.find(word, pos + 1)
    return False


def _cases_in_place(text: str) -> bool:
    """True when casefold changes nothing but ASCII letters in `text`."""
    return text.isascii() or _fold_to_themselves(text.encode("utf-8", "surrogatepass").translate(None, _ASCII))


def _fold_to_themselves(others: bytes) -> bool:
    """Whether every character of these UTF-8 bytes (none of them ASCII) is its own casefold."""
    return all(map(_folds_to_itself, set(others.decode("utf-8", "surrogatepass"))))


@functools.lru_cache(maxsize=4096)
def _folds_to_itself(ch: str) -> bool:
    return ch.casefold() == ch


# Two patterns, each starting with a literal the regex engine can skip to (one alternation of
# all four forms scans ten times slower); URLs are looked for only where there are any.
_LINKS = re.compile(r"\[\[[^\]\n]*\]\]|\[[^\]\n]*\]\([^)\n]*\)")
_URLS = re.compile(r"<?https?://[^>\s]+>?")


def _mask_citations(text: str) -> str:
    """Author names inside citations are no mention of a page about that person."""
    if not _has_digit(text):
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


def _has_digit(text: str) -> bool:
    """any(ch.isdigit() for ch in text), in C: \\d finds the decimal digits, and only text beyond ASCII
    can hold the other digits (superscripts and the like) that need the slow look."""
    return _DIGIT.search(text) is not None or (not text.isascii() and any(map(str.isdigit, text)))


_DIGIT = re.compile(r"\d")


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
    adjacency = dict(wiki.graph.adjacency())  # node -> {neighbour: {link type: data}}: raw dicts, no views
    fits = _LinkTypes(wiki)
    out = (list(_missing_inverses(wiki, adjacency)) + list(_shared_sources(wiki, adjacency, fits))
           + list(_common_neighbours(adjacency, fits)))
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


class _LinkTypes:
    """The section link type that fits a page of a's type pointing at one of b's type; symmetric first.

    Worked out once per pair of page types, not once per pair of pages."""

    def __init__(self, wiki: Wiki):
        self.wiki = wiki
        self.known: dict[tuple[str, str], str | None] = {}

    def between(self, a: str, b: str) -> str | None:
        types = (self.wiki.pages[a].type, self.wiki.pages[b].type)
        if types not in self.known:
            self.known[types] = self._fitting(*types)
        return self.known[types]

    def _fitting(self, ta: str, tb: str) -> str | None:
        fits = [lt for lt in self.wiki.config.links.values()
                if lt.name not in ("mentions", "cites") and (lt.from_types is None or ta in lt.from_types)
                and (lt.to_types is None or tb in lt.to_types) and (lt.section or lt.field)]
        fits.sort(key=lambda lt: (not lt.symmetric, lt.acyclic, lt.name))
        return fits[0].name if fits else None


def _linked(adjacency: dict, a: str, b: str) -> bool:
    return b in adjacency[a] or a in adjacency[b]


def _missing_inverses(wiki: Wiki, adjacency: dict) -> Iterable[Suggestion]:
    symmetric = {name: lt for name, lt in wiki.config.links.items() if lt.symmetric}
    for u, around in adjacency.items():
        for v, keys in around.items():
            if symmetric.keys().isdisjoint(keys):
                continue
            back = adjacency[v].get(u, ())
            for k in keys:
                lt = symmetric.get(k)
                if lt and k not in back and (lt.from_types is None or wiki.pages[v].type in lt.from_types):
                    yield Suggestion(v, u, k, f"{u} lists it as `{k}`, and `{k}` goes both ways",
                                     "missing-inverse", 10.0)


def _pair_counts(groups: Iterable[list[str]]) -> Counter:
    """How many groups each pair of members (a < b) shares; the pairs are made and counted in C."""
    return Counter(itertools.chain.from_iterable(itertools.combinations(members, 2) for members in groups))


def _shared_sources(wiki: Wiki, adjacency: dict, fits: _LinkTypes, minimum: int = 2) -> Iterable[Suggestion]:
    citers: dict[str, set[str]] = defaultdict(set)
    for u, around in adjacency.items():
        if wiki.pages[u].type != "source":
            for v, keys in around.items():
                if "cites" in keys:
                    citers[v].add(u)
    groups = (sorted(pages) for pages in citers.values() if len(pages) <= HUB_DEGREE)
    for (a, b), count in _pair_counts(groups).items():
        if count < minimum or _linked(adjacency, a, b):
            continue
        link_type = fits.between(a, b)
        if link_type:
            yield Suggestion(a, b, link_type, f"both cite {count} of the same sources", "shared-sources",
                             2.0 + count)


def _common_neighbours(adjacency: dict, fits: _LinkTypes, threshold: float = 2.5,
                       minimum: int = 3) -> Iterable[Suggestion]:
    """Adamic-Adar over typed links: pairs at distance two that share many rare neighbours.

    Pairs are counted first; the score is summed only for the few with `minimum` neighbours in
    common, over those neighbours in the order the full sum would meet them (the same float)."""
    und = _typed_neighbours(adjacency)
    weight = {m: 1 / math.log(len(around)) for m, around in und.items() if 2 <= len(around) <= HUB_DEGREE}
    counts = _pair_counts(sorted(und[m]) for m in weight)
    order = {m: i for i, m in enumerate(und)}
    for (a, b), common in counts.items():
        if common < minimum:
            continue
        score = 0.0
        for m in sorted(und[a] & und[b] & weight.keys(), key=order.__getitem__):
            score += weight[m]
        if score < threshold or _linked(adjacency, a, b):
            continue
        link_type = fits.between(a, b)
        if link_type:
            yield Suggestion(a, b, link_type, f"{common} neighbours in common (Adamic-Adar {score:.1f})",
                             "common-neighbours", round(score, 2))


def _typed_neighbours(adjacency: dict) -> dict[str, set[str]]:
    """Each page's neighbours through typed links, either way, in the order the links are met."""
    und: dict[str, set[str]] = defaultdict(set)
    for u, around in adjacency.items():
        for v, keys in around.items():
            if u != v and len(keys) > ("mentions" in keys) + ("cites" in keys):  # a typed link among them
                und[u].add(v)
                und[v].add(u)
    return und
