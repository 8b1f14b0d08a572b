"""The fast unlinked mentions, suggested links and statistics against simple reference versions.

The references below are the straightforward implementations (a word-by-word scan over every
page, every pair of neighbours summed, networkx for components and orphans); hypothesis builds
small wikis full of the cases that make the fast paths delicate (casefold oddities, words cut
by masking, names sharing words, hubs) and checks that both give the same answers.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kgwiki import analysis, syntax
from kgwiki.config import parse_config
from kgwiki.graph import build_wiki
from kgwiki.model import Location, SourceFile
from kgwiki.parse import parse_page
from tests.conftest import SCHEMA

CONFIG = parse_config(Path("."), tomllib.loads(SCHEMA))
WORD = analysis._WORD


def examples(n: int):
    """Hypothesis settings for tests that build wikis (slow examples; monkeypatch set once per test)."""
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def wiki_of(files: dict[str, str]):
    pages = [parse_page(SourceFile(path, text), CONFIG).page for path, text in files.items()]
    return build_wiki([p for p in pages if p is not None], CONFIG)


# --- reference: unlinked mentions ------------------------------------------------------------

def reference_mentions(wiki, min_length: int = 4) -> list[tuple]:
    names = _reference_names(wiki, min_length)
    found = []
    for slug in sorted(wiki.pages):
        page = wiki.pages[slug]
        masked = analysis._mask_citations(analysis._mask_links(syntax.mask_code(page.body)))
        if set(names).isdisjoint(WORD.findall(masked.casefold())):
            continue
        linked = set(wiki.graph.successors(slug)) | {slug}
        lines = syntax.LineIndex(page.body, page.body_line)
        words = [(m.group(0).casefold(), m.start(), m.end()) for m in WORD.finditer(masked)]
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
                    found.append((slug, Location(page.path, line, col), page.body[start:end], target))
                    reported.add(target)
    return found


def _reference_names(wiki, min_length: int) -> dict[str, list]:
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for slug, page in wiki.pages.items():
        if page.type == "source":
            continue
        for name in (page.title, *page.aliases):
            tokens = tuple(w.casefold() for w in WORD.findall(name))
            if tokens and len(name) >= min_length and not name.isdigit():
                owners[tokens].add(slug)
    index: dict[str, list] = defaultdict(list)
    for tokens, slugs in owners.items():
        if len(slugs) == 1:
            index[tokens[0]].append((tokens, next(iter(slugs))))
    for entries in index.values():
        entries.sort(key=lambda e: (-len(e[0]), e[1]))
    return index


def mentions(wiki) -> list[tuple]:
    return [(m.page, m.location, m.text, m.target) for m in analysis.unlinked_mentions(wiki)]


# Names and prose built from pieces that stress the matcher: words cut by URLs and by narrative
# citations after a hyphen, characters whose casefold is longer or of another kind (ß, İ, ﬁ, ſ,
# U+0345, the Kelvin sign), names sharing first words, links, code, comments, blank lines.
NAMES = ["Reward hacking", "reward", "Reward hacking policy", "Hacking", "Smith", "Straße", "strasse",
         "İxion", "o’neill", "O'Neill", "prefix", "Concept", "concept-1", "Über", "mesa optimizer", "Mesa",
         "ſtrong", "Strong", "ﬁne tuning", "fine", "Inner alignment", "alignment", "x\u0345yz", "Kelvin"]
PROSE = ["reward", "Reward", "REWARD", "hacking", "HACKING", "policy", "smith", "Smith", "STRASSE", "Straße",
         "strasse", "İxion", "ixion", "o’neill", "O'Neill", "o'neill", "prefix", "concept", "Concept", "concept-1",
         "über", "ÜBER", "mesa", "optimizer", "strong", "ſtrong", "ﬁne", "fine", "tuning", "inner", "alignment",
         "\u212aelvin", "kelvin", "x\u0345yz", "xιyz", "\u0345", " ", " ", " ", "-", "'", "’", "\n", "\n\n", ". ",
         "https://x.org/a", "http://", "[[", "]]", "[[p1]]", "[[p2|reward hacking]]", "`", "```\n", "<!--", "-->",
         "(Smith 2019)", "Smith et al. (2019)", "-Smith et al. (2019)", "[@s1]", "(", ")", "2019", "²", "é", "É",
         "[t](u)", "<https://y.org>", "_", "s", "a", "—"]

prose = st.lists(st.sampled_from(PROSE), max_size=30).map("".join)


@st.composite
def named_wikis(draw):
    files = {"sources/s1.md": "---\ntitle: Smith\nauthors: [Ann Smith]\nyear: 2019\n---\n"}
    for i in range(draw(st.integers(2, 5))):
        title = draw(st.sampled_from(NAMES))
        aliases = draw(st.lists(st.sampled_from(NAMES), max_size=2))
        related = draw(st.lists(st.sampled_from(["p0", "p1", "p2"]), max_size=2))
        body = draw(prose) + "\n\n## Related concepts\n" + "".join(f"- [[{r}]]\n" for r in related) + draw(prose)
        files[f"concepts/p{i}.md"] = (f"---\ntitle: {title!r}\naliases: {aliases!r}\nsummary: s\n---\n" + body)
    return files


@pytest.mark.parametrize("quick_words", [0, 1000])  # every page scanned word by word / checked quickly first
@examples(150)
@given(files=named_wikis())
def test_mentions_match_the_reference(monkeypatch, quick_words, files):
    monkeypatch.setattr(analysis, "QUICK_CHECK_WORDS", quick_words)
    wiki = wiki_of(files)
    assert mentions(wiki) == reference_mentions(wiki)


@pytest.mark.parametrize("prose_text, found", [
    ("see reward hacking policy here", "reward hacking policy"),  # the longest name first
    ("see Reward\nhacking", "Reward\nhacking"),
    ("see reward\n\nhacking", "reward"),  # no name across a paragraph break: the shorter one
    ("the concepthttps://x.org/ page", "concept"),  # a word cut short by a URL
    ("a prefix-Smith et al. (2019) b", "prefix"),  # ... or by a narrative citation after a hyphen
    ("see [[p9|reward hacking]] only", None),  # link text is no mention
    ("see [[reward `x]] y` now", "reward"),  # ... unless code or a comment breaks the link
    ("see <!-- [[x --> reward]] now", "reward"),
    ("see [t](u [[x ) reward]] now", "reward"),  # ... or a Markdown link takes its start
    ("see `reward hacking` only", None),  # nor is code
])
@pytest.mark.parametrize("quick_words", [0, 1000])
def test_mention_examples(monkeypatch, quick_words, prose_text, found):
    monkeypatch.setattr(analysis, "QUICK_CHECK_WORDS", quick_words)
    wiki = wiki_of({
        "concepts/a.md": "---\ntitle: A page\nsummary: s\n---\n" + prose_text + "\n",
        "concepts/r.md": "---\ntitle: Reward\naliases: [reward hacking policy, Reward hacking, prefix, concept]\n"
                         "summary: s\n---\nbody\n",
        "sources/smith.md": "---\ntitle: S\nauthors: [Ann Smith]\nyear: 2019\n---\n",
    })
    texts = [m.text for m in analysis.unlinked_mentions(wiki) if m.page == "a"]
    assert texts == ([found] if found else [])
    assert mentions(wiki) == reference_mentions(wiki)


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_cased_bytes_is_casefold(text):
    assert analysis._cased_bytes(text) == text.casefold().encode("utf-8")
    if analysis._cases_in_place(text):  # then the words of the cased text are the cased words
        assert WORD.findall(text.casefold()) == [w.casefold() for w in WORD.findall(text)]


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_has_digit(text):
    assert analysis._has_digit(text) == any(ch.isdigit() for ch in text)


# --- reference: suggested links -------------------------------------------------------------

def reference_suggestions(wiki, per_page: int = 3) -> list[tuple]:
    out = list(_ref_missing_inverses(wiki)) + list(_ref_shared_sources(wiki)) + list(_ref_common_neighbours(wiki))
    best: dict = {}
    for s in out:
        key = (s[0], s[1])
        if key not in best or s[5] > best[key][5]:
            best[key] = s
    by_page: dict = defaultdict(list)
    for s in best.values():
        by_page[s[0]].append(s)
    ranked = []
    for page in sorted(by_page):
        ranked.extend(sorted(by_page[page], key=lambda s: (-s[5], s[1]))[:per_page])
    return sorted(ranked, key=lambda s: (-s[5], s[0], s[1]))


def _ref_link_type(wiki, a, b):
    ta, tb = wiki.pages[a].type, wiki.pages[b].type
    fits = [lt for lt in wiki.config.links.values()
            if lt.name not in ("mentions", "cites") and (lt.from_types is None or ta in lt.from_types)
            and (lt.to_types is None or tb in lt.to_types) and (lt.section or lt.field)]
    fits.sort(key=lambda lt: (not lt.symmetric, lt.acyclic, lt.name))
    return fits[0].name if fits else None


def _ref_linked(wiki, a, b):
    return wiki.graph.has_edge(a, b) or wiki.graph.has_edge(b, a)


def _ref_missing_inverses(wiki):
    for u, v, k in wiki.graph.edges(keys=True):
        lt = wiki.config.links.get(k)
        if lt and lt.symmetric and not wiki.graph.has_edge(v, u, key=k) and \
                (lt.from_types is None or wiki.pages[v].type in lt.from_types):
            yield (v, u, k, f"{u} lists it as `{k}`, and `{k}` goes both ways", "missing-inverse", 10.0)


def _ref_shared_sources(wiki, minimum=2):
    citers: dict = defaultdict(list)
    for u, v, k in wiki.graph.edges(keys=True):
        if k == "cites" and wiki.pages[u].type != "source":
            citers[v].append(u)
    shared: Counter = Counter()
    for pages in citers.values():
        pages = sorted(set(pages))
        if len(pages) > analysis.HUB_DEGREE:
            continue
        for i, a in enumerate(pages):
            for b in pages[i + 1:]:
                shared[(a, b)] += 1
    for (a, b), count in shared.items():
        if count >= minimum and not _ref_linked(wiki, a, b) and _ref_link_type(wiki, a, b):
            yield (a, b, _ref_link_type(wiki, a, b), f"both cite {count} of the same sources", "shared-sources",
                   2.0 + count)


def _ref_common_neighbours(wiki, threshold=2.5):
    und: dict = defaultdict(set)
    for u, v, k in wiki.graph.edges(keys=True):
        if k not in ("mentions", "cites") and u != v:
            und[u].add(v)
            und[v].add(u)
    scores: dict = defaultdict(float)
    common: Counter = Counter()
    for around in und.values():
        if len(around) < 2 or len(around) > analysis.HUB_DEGREE:
            continue
        weight = 1 / math.log(len(around))
        ordered = sorted(around)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                scores[(a, b)] += weight
                common[(a, b)] += 1
    for (a, b), score in scores.items():
        if score >= threshold and common[(a, b)] >= 3 and not _ref_linked(wiki, a, b) and _ref_link_type(wiki, a, b):
            yield (a, b, _ref_link_type(wiki, a, b),
                   f"{common[(a, b)]} neighbours in common (Adamic-Adar {score:.1f})", "common-neighbours",
                   round(score, 2))


@st.composite
def linked_wikis(draw):
    n = draw(st.integers(3, 14))
    slugs = [f"c{i}" for i in range(n)]
    files = {f"sources/s{i}.md": f"---\ntitle: S{i}\nauthors: [Ann Author{i}]\nyear: 2020\n---\n" for i in range(4)}
    for i, slug in enumerate(slugs):
        kind = "agendas/" if draw(st.integers(0, 4)) == 0 else ""
        related = draw(st.lists(st.sampled_from(slugs), max_size=6))
        agendas = draw(st.lists(st.sampled_from(slugs), max_size=2))
        requires = draw(st.lists(st.sampled_from(slugs), max_size=2))
        cited = draw(st.lists(st.integers(0, 3), max_size=4))
        body = (" ".join(f"[@s{c}]" for c in cited) + "\n\n## Related concepts\n"
                + "".join(f"- [[{r}]]\n" for r in related) + "\n## Related agendas\n"
                + "".join(f"- [[{a}]]\n" for a in agendas))
        files[f"concepts/{kind}{slug}.md"] = f"---\ntitle: T{i}\nsummary: s\nrequires: {requires!r}\n---\n{body}"
    return files


def suggestions(wiki) -> list[tuple]:
    return [(s.page, s.target, s.link_type, s.evidence, s.kind, s.score) for s in analysis.suggested_links(wiki)]


@pytest.mark.parametrize("hub", [200, 4])  # hub pages (and sources) ignored past HUB_DEGREE neighbours
@examples(120)
@given(files=linked_wikis())
def test_suggestions_match_the_reference(monkeypatch, hub, files):
    monkeypatch.setattr(analysis, "HUB_DEGREE", hub)
    wiki = wiki_of(files)
    assert suggestions(wiki) == reference_suggestions(wiki)


# --- reference: statistics --------------------------------------------------------------------

@examples(60)
@given(files=linked_wikis())
def test_stats_match_networkx(files):
    wiki = wiki_of(files)
    graph, st_ = wiki.graph, analysis.stats(wiki)
    nodes = sorted(graph.nodes)
    assert st_.pages_by_type == dict(sorted(Counter(wiki.pages[n].type for n in nodes).items()))
    assert st_.links_by_type == dict(sorted(Counter(k for _, _, k in graph.edges(keys=True)).items()))
    assert st_.components == sorted((len(c) for c in nx.weakly_connected_components(graph)), reverse=True)
    assert st_.orphans == [n for n in nodes if wiki.pages[n].type != "source"
                           and not any(u != n for u in graph.predecessors(n))]
    simple = nx.DiGraph()
    simple.add_nodes_from(nodes)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    expected = nx.pagerank(simple, tol=1e-10, max_iter=100_000)
    assert st_.pagerank == sorted(st_.pagerank, key=lambda t: (-t[1], t[0]))
    assert all(abs(v - expected[s]) < 1e-6 for s, v in st_.pagerank)
    assert sorted(m for _, _, members in st_.clusters for m in members) == nodes
