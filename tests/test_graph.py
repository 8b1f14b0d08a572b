"""graph.py: name resolution, Obsidian rules, the typed MultiDiGraph, citation resolution."""

import networkx as nx
import pytest

from kgwiki.pipeline import check
from tests.conftest import SCHEMA


def page(title, body="", **fields):
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\ntitle: {title}\nsummary: s\n{extra}---\n{body}\n"


def resolved(result, slug="linker"):
    """link target as written -> the slug it resolved to (None when broken)."""
    return [(r.link.target, r.target) for r in result.wiki.links if r.page == slug]


# --- name resolution -----------------------------------------------------------------------

def test_resolution_order_slug_then_alias_then_title(make_wiki):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        # `foo` is a slug, another page's alias and a third page's title: the slug wins
        "concepts/foo.md": page("Real Foo", aliases="[Baz]"),
        "concepts/x.md": page("Foo", aliases="[Bar]"),
        # `bar` is a slug and x's alias: the slug wins; `qux` is only a title
        "concepts/bar.md": page("Qux"),
        # `baz` is foo's alias and y's title: the alias wins
        "concepts/y.md": page("Baz"),
        "concepts/linker.md": page("L", "[[foo]] [[Bar]] [[baz]] [[qux]] [[Real Foo]] [[x]]"),
    })
    assert resolved(check(root)) == [
        ("foo", "foo"), ("Bar", "bar"), ("baz", "foo"), ("qux", "bar"), ("Real Foo", "foo"), ("x", "x")]


@pytest.mark.parametrize("written", [
    "mesa-optimization", "Mesa-Optimization", "MESA_OPTIMIZATION", "mesa optimization", "Mesa  Optimization",
    "mesa_optimization.md", "learned optimizer", "Learned-Optimizer", "The Mesa Problem", "the_mesa_problem",
])
def test_names_match_case_insensitively_with_separators_folded(make_wiki, written):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/mesa-optimization.md": page("The Mesa Problem", aliases="[learned optimizer]"),
        "concepts/linker.md": page("L", f"[[{written}]]"),
    })
    assert resolved(check(root)) == [(written, "mesa-optimization")]


def test_a_link_to_nothing_resolves_to_none_and_is_not_a_node(make_wiki):
    root = make_wiki({"wiki.toml": SCHEMA, "concepts/linker.md": page("L", "[[nowhere]] [[type::elsewhere]]")})
    result = check(root)
    assert resolved(result) == [("nowhere", None), ("elsewhere", None)]
    assert set(result.wiki.graph.nodes) == {"linker"}
    assert result.wiki.graph.number_of_edges() == 0


# --- Obsidian mode ----------------------------------------------------------------------------

def test_obsidian_path_links_and_shortest_path(make_wiki):
    root = make_wiki({
        "a/Note.md": "x\n",
        "a/b/Note.md": "y\n",
        "Note Two.md": "z\n",
        "linker.md": "[[Note]] [[b/Note]] [[a/b/Note]] [[a/Note]] [[A/B/NOTE]] [[a/b/Note.md]]\n",
    })
    result = check(root)
    assert not result.config.has_schema
    shallow, deep = "note", "a/b/note"
    assert result.wiki.pages[shallow].path == "a/Note.md"
    assert result.wiki.pages[deep].path == "a/b/Note.md"
    assert resolved(result) == [("Note", shallow), ("b/Note", deep), ("a/b/Note", deep), ("a/Note", shallow),
                                ("A/B/NOTE", deep), ("a/b/Note.md", deep)]
    # a duplicate stem is only an info without a schema, and names the deeper file
    [d] = [d for d in result.diagnostics if d.code == "duplicate-slug"]
    assert (d.severity, d.location.path) == ("info", "a/b/Note.md")


def test_shortest_path_wins_whatever_the_alphabetical_order(make_wiki):
    root = make_wiki({"aaa/bbb/Topic.md": "deep\n", "zzz/Topic.md": "shallow\n", "linker.md": "[[Topic]]\n"})
    result = check(root)
    assert result.wiki.pages["topic"].path == "zzz/Topic.md"  # the slug itself is assigned correctly
    [(_, slug)] = resolved(result)
    assert result.wiki.pages[slug].path == "zzz/Topic.md"


def test_spaces_in_file_names(make_wiki):
    root = make_wiki({"notes/My Note.md": "text\n", "linker.md": "[[My Note]] [[my note]] [[My Note|label]] "
                                                                 "[[notes/My Note]]\n"})
    result = check(root)
    assert result.wiki.pages["my-note"].path == "notes/My Note.md"
    assert result.wiki.pages["my-note"].title == "My Note"
    assert [slug for _, slug in resolved(result)] == ["my-note"] * 4
    assert not [d for d in result.diagnostics if d.code == "broken-link"]


def test_obsidian_mode_links_are_mentions_or_cites(make_wiki):
    root = make_wiki({
        "sources/paper.md": "---\ntitle: P\ntype: source\nauthors: [Ann Smith]\nyear: 2020\n---\n",
        "linker.md": "[[paper]] [[other]] (Smith 2020)\n",
        "other.md": "x\n",
    })
    result = check(root)
    g = result.wiki.graph
    assert set(g.edges(keys=True)) == {("linker", "paper", "cites"), ("linker", "other", "mentions")}
    assert [c.outcome for c in result.wiki.citations] == ["resolved"]


# --- the graph ----------------------------------------------------------------------------------

def test_graph_is_a_multidigraph_keyed_by_link_type(make_wiki):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/a.md": page("A", "## Related concepts\n- [[b]] \u2014 its sibling\n\nInline [[b]] and [[b]].",
                              requires="[b]"),
        "concepts/b.md": page("B", "## Related concepts\n- [[a]] \u2014 back"),
        "concepts/agendas/ag.md": page("Ag", type="agenda"),
        "sources/s.md": "---\ntitle: S\nauthors: [Ann Smith]\nyear: 2020\n---\n",
        "concepts/c.md": page("C", "[[agenda::ag]] [[s]] (Smith 2020) [[a]]"),
    })
    result = check(root)
    g = result.wiki.graph
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.edges(keys=True)) == {
        ("a", "b", "related"), ("a", "b", "requires"), ("a", "b", "mentions"), ("b", "a", "related"),
        ("c", "ag", "agenda"), ("c", "s", "cites"), ("c", "a", "mentions")}
    assert g.number_of_edges("a", "b") == 3  # the repeated mention is one edge
    assert g.edges["a", "b", "related"] == {"description": "its sibling", "path": "concepts/a.md", "line": 7,
                                             "label": None}
    assert g.edges["a", "b", "requires"]["line"] == 4
    assert g.edges["a", "b", "requires"]["description"] is None
    assert g.nodes["ag"]["type"] == "agenda" and g.nodes["s"]["type"] == "source"
    assert g.nodes["a"]["title"] == "A" and g.nodes["a"]["path"] == "concepts/a.md"


def test_self_links_and_anchors_only_are_not_edges(make_wiki):
    root = make_wiki({"wiki.toml": SCHEMA,
                      "concepts/a.md": page("A", "## Definition\n[[a]] [[#Definition]] [[a#Definition]]")})
    result = check(root)
    assert result.wiki.graph.number_of_edges() == 0
    assert [d.code for d in result.diagnostics if d.code in ("self-link", "broken-anchor")] == ["self-link",
                                                                                                   "self-link"]


# --- citations -------------------------------------------------------------------------------------

def source(authors, year, **fields):
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\ntitle: T {authors} {year}\nauthors: [{authors}]\nyear: {year}\n{extra}---\n"


def cite(make_wiki, sources, *citations):
    files = {"wiki.toml": SCHEMA, "concepts/a.md": page("A", "\n\n".join(citations))}
    files.update({f"sources/{slug}.md": text for slug, text in sources.items()})
    result = check(make_wiki(files))
    return [(r.citation.text, r.outcome, r.sources) for r in result.wiki.citations]


def test_exact_key_is_case_insensitive(make_wiki):
    got = cite(make_wiki, {"hubinger-2019": source("Evan Hubinger", 2019)},
               "[@hubinger-2019]", "[@HUBINGER-2019]", "[@hubinger-2019x]")
    assert got == [("@hubinger-2019", "resolved", ("hubinger-2019",)),
                   ("@HUBINGER-2019", "resolved", ("hubinger-2019",)),
                   ("@hubinger-2019x", "unresolved", ())]


def test_cite_as_labels_and_letter_suffixes(make_wiki):
    sources = {
        "atlas": source("Markov Grey", 2024, cite_as='["Atlas Ch.7", "Grey 2024b"]'),
        "grey-a": source("Markov Grey", 2024, cite_as='["Grey 2024a"]'),
    }
    got = cite(make_wiki, sources, "(Atlas Ch.7)", "(atlas ch.7)", "(Grey 2024b)", "(Grey 2024a)", "Grey (2024b)",
               "(Grey 2024)", "(Atlas Ch. 8)")
    assert got == [
        ("Atlas Ch.7", "resolved", ("atlas",)),
        ("atlas ch.7", "resolved", ("atlas",)),
        ("Grey 2024b", "resolved", ("atlas",)),
        ("Grey 2024a", "resolved", ("grey-a",)),
        ("Grey (2024b)", "resolved", ("atlas",)),
        ("Grey 2024", "ambiguous", ("atlas", "grey-a")),
    ]  # an unknown label is prose, not a citation


def test_letter_suffix_narrows_same_author_same_year(make_wiki):
    sources = {
        "grey-a": source("Markov Grey, Ann Lee", 2024, cite_as='["Grey & Lee 2024a"]'),
        "grey-b": source("Markov Grey, Bo Wu", 2024, cite_as='["Grey & Wu 2024b"]'),
    }
    assert cite(make_wiki, sources, "(Grey et al. 2024b)", "(Grey et al. 2024a)") == [
        ("Grey et al. 2024b", "resolved", ("grey-b",)), ("Grey et al. 2024a", "resolved", ("grey-a",))]


def test_surname_and_year(make_wiki):
    sources = {"hubinger": source("Evan Hubinger, Chris van Merwijk", 2019),
               "oswald": source("Johannes von Oswald, Max Vlad", 2023)}
    got = cite(make_wiki, sources, "(Hubinger et al. 2019)", "Hubinger et al. (2019)", "(Hubinger 2019, §4)",
               "von Oswald et al. (2023)", "(von Oswald et al. 2023)")
    assert [(o, s) for _, o, s in got] == [("resolved", ("hubinger",))] * 3 + [("resolved", ("oswald",))] * 2


def test_alt_years_and_year_mismatch(make_wiki):
    sources = {"langosco": source("Lauro Langosco di Langosco, Jack Koch", 2022, alt_years="[2021]")}
    got = cite(make_wiki, sources, "(Langosco et al. 2022)", "(Langosco et al. 2021)", "(Langosco et al. 2020)")
    assert [(o, s) for _, o, s in got] == [
        ("resolved", ("langosco",)), ("resolved", ("langosco",)), ("year-mismatch", ("langosco",))]


def test_same_surname_same_year_is_ambiguous(make_wiki):
    sources = {"doe-a": source("John Doe", 2021), "doe-b": source("Jane Doe", 2021)}
    assert cite(make_wiki, sources, "(Doe 2021)") == [("Doe 2021", "ambiguous", ("doe-a", "doe-b"))]


def test_et_al_and_co_author_narrowing(make_wiki):
    sources = {
        "smith-solo": source("Ann Smith", 2020),
        "smith-jones": source("Ann Smith, Bob Jones", 2020),
        "smith-lee": source("Ann Smith, Cy Lee, Di Wu", 2020),
    }
    got = cite(make_wiki, sources, "(Smith 2020)", "(Smith & Jones 2020)", "(Smith and Lee 2020)",
               "Smith & Jones (2020)", "(Smith et al. 2020)")
    assert got == [
        ("Smith 2020", "resolved", ("smith-solo",)),
        ("Smith & Jones 2020", "resolved", ("smith-jones",)),
        ("Smith and Lee 2020", "resolved", ("smith-lee",)),
        ("Smith & Jones (2020)", "resolved", ("smith-jones",)),
        ("Smith et al. 2020", "ambiguous", ("smith-jones", "smith-lee")),
    ]


def test_et_al_prefers_a_multi_author_source(make_wiki):
    sources = {"solo": source("Ann Smith", 2020), "team": source("Ann Smith, Bob Jones, Cy Lee", 2020)}
    assert cite(make_wiki, sources, "(Smith et al. 2020)", "(Smith 2020)") == [
        ("Smith et al. 2020", "resolved", ("team",)), ("Smith 2020", "resolved", ("solo",))]


def test_fuzzy_never_resolves(make_wiki):
    root = make_wiki({"wiki.toml": SCHEMA,
                      "sources/hubinger.md": source("Evan Hubinger", 2019),
                      "concepts/a.md": page("A", "(Hubingr et al. 2019) [@hubinger-2019] (Hubinger-Smith et al. 2019)")})
    result = check(root)
    got = [(r.citation.text, r.outcome, r.sources) for r in result.wiki.citations]
    assert got == [("Hubingr et al. 2019", "unresolved", ()), ("@hubinger-2019", "unresolved", ()),
                   ("Hubinger-Smith et al. 2019", "unresolved", ())]
    assert not result.wiki.graph.has_edge("a", "hubinger")
    hints = [d.hint for d in result.diagnostics if d.code == "unresolved-citation"]
    assert "Hubinger 2019" in hints[0] and "[@hubinger]" in hints[1]  # the near match is only suggested


def test_weak_citations_without_a_matching_author_are_prose(make_wiki):
    sources = {"hubinger": source("Evan Hubinger", 2019)}
    got = cite(make_wiki, sources, "(March 2019)", "Opus (2024)", "(Nobody 2019)", "(Nobody et al. 2019)")
    assert got == [("Nobody 2019", "unresolved", ()), ("Nobody et al. 2019", "unresolved", ())]


def test_without_source_pages_citations_are_not_reported(make_wiki):
    root = make_wiki({"a.md": "(Hubinger et al. 2019) and Shah et al. (2022)\n"})
    result = check(root)
    assert result.wiki.citations == ()
    assert not [d for d in result.diagnostics if "citation" in d.code]


def test_resolved_citations_are_cites_edges(make_wiki):
    root = make_wiki({"wiki.toml": SCHEMA, "sources/hub.md": source("Evan Hubinger", 2019),
                      "concepts/a.md": page("A", "text\n(Hubinger 2019)")})
    g = check(root).wiki.graph
    assert g.edges["a", "hub", "cites"] == {"description": None, "path": "concepts/a.md", "line": 6, "label": None}


def test_typed_edges_are_added_as_networkx_adds_them():
    import networkx as nx

    from kgwiki.graph import add_typed_edge

    edges = [("a", "b", "related", {"line": 1}), ("a", "b", "requires", {"line": 2}),
             ("b", "a", "related", {"line": 3}), ("c", "a", "cites", {"line": 4}),
             ("a", "b", "related", {"line": 5})]  # the first edge of a kind stays
    fast, slow = nx.MultiDiGraph(), nx.MultiDiGraph()
    for g in (fast, slow):
        g.add_nodes_from("abc")
    for edge in edges:
        add_typed_edge(fast, *edge)
    nx._clear_cache(fast)
    slow.add_edges_from(edges[:-1])
    assert nx.utils.graphs_equal(fast, slow)
    assert list(fast.in_edges("a", keys=True)) == list(slow.in_edges("a", keys=True))
    assert fast.number_of_edges("a", "b") == 2 and fast.has_edge("b", "a", key="related")
    assert fast.edges["a", "b", "related"] == {"line": 1}


def test_the_wiki_graph_is_what_networkx_builds_from_its_nodes_and_edges(make_wiki):
    import networkx as nx

    root = make_wiki({"wiki.toml": SCHEMA, "sources/hub.md": source("Evan Hubinger", 2019),
                      "concepts/a.md": page("A", "See [[b]] and [[hub]].\n(Hubinger 2019)"),
                      "concepts/b.md": page("B", "Back to [[a]], and [[missing]].")})
    g = check(root).wiki.graph
    rebuilt = nx.MultiDiGraph()
    rebuilt.add_nodes_from(g.nodes(data=True))
    rebuilt.add_edges_from(g.edges(keys=True, data=True))
    assert nx.utils.graphs_equal(g, rebuilt)
    assert list(g.nodes) == list(rebuilt.nodes) and g.nodes["a"]["title"] == "A"
    assert list(g.predecessors("hub")) == ["a"] and g.number_of_nodes() == 3
