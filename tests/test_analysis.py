"""kgwiki graph and kgwiki suggest: queries, exports read back, reading orders, mentions, suggestions."""

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from kgwiki import analysis, indexes
from kgwiki.cli import main
from kgwiki.pipeline import load_wiki
from tests.conftest import SCHEMA

FIXTURE = Path(__file__).parent / "fixtures" / "site"


@pytest.fixture(scope="module")
def wiki():
    return load_wiki(FIXTURE)


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_stats(capsys):
    code, out, _ = run(capsys, "graph", "--root", str(FIXTURE), "stats", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["pages_by_type"] == {"agenda": 1, "concept": 3, "source": 2}
    assert data["links_by_type"]["related"] == 6 and data["links_by_type"]["requires"] == 2
    assert data["components"]["count"] == 1
    assert data["pagerank"][0]["slug"] in {"mesa-optimization", "inner-alignment", "deceptive-alignment"}
    assert data["clusters"] and all(c["central"] in c["members"] for c in data["clusters"])


def test_neighbors_and_link_type_filter(capsys):
    _, out, _ = run(capsys, "graph", "--root", str(FIXTURE), "neighbors", "mesa-optimization", "--type", "related",
                    "--format", "json")
    found = {(n["to"], n["link_type"], n["direction"]) for n in json.loads(out)["neighbors"]}
    assert found == {("inner-alignment", "related", "forward"), ("deceptive-alignment", "related", "forward")}
    _, out, _ = run(capsys, "graph", "--root", str(FIXTURE), "neighbors", "hubinger-2019", "--depth", "2",
                    "--format", "json")
    depths = {n["to"]: n["depth"] for n in json.loads(out)["neighbors"]}
    assert depths["mesa-optimization"] == 1 and depths["interpretability-agenda"] == 2


def test_path_names_each_step_and_direction(capsys):
    code, out, _ = run(capsys, "graph", "--root", str(FIXTURE), "path", "hubinger-2019", "interpretability-agenda",
                       "--format", "json")
    steps = json.loads(out)["steps"]
    assert code == 0 and steps[0]["from"] == "hubinger-2019" and steps[-1]["to"] == "interpretability-agenda"
    assert all(s["direction"] in ("forward", "backward") and s["link_type"] for s in steps)
    assert len(steps) == 2
    code, out, err = run(capsys, "graph", "--root", str(FIXTURE), "path", "greenblatt-2024", "hubinger-2019",
                         "--type", "requires")
    assert code == 1 and "no path" in err


def test_reading_order_puts_prerequisites_first(capsys, wiki):
    assert analysis.reading_order(wiki, "deceptive-alignment") == ["mesa-optimization", "inner-alignment"]
    _, out, _ = run(capsys, "graph", "--root", str(FIXTURE), "read", "deceptive-alignment")
    assert out.index("Mesa-optimization") < out.index("Inner alignment") < out.index("then: Deceptive alignment")


def test_unknown_slug_gets_suggestions(capsys):
    code, _, err = run(capsys, "graph", "--root", str(FIXTURE), "neighbors", "mesa-optimisaton")
    assert code == 2 and "did you mean [[mesa-optimization]]" in err


@pytest.mark.parametrize("fmt", ["json", "graphml", "gexf", "jsonld"])
def test_exports_read_back_with_independent_readers(fmt, tmp_path, wiki):
    out = tmp_path / f"graph.{fmt}"
    assert main(["graph", "--root", str(FIXTURE), "export", "--format", fmt, "--out", str(out)]) == 0
    expected_nodes = set(wiki.graph.nodes)
    expected_edges = {(u, v, k) for u, v, k in wiki.graph.edges(keys=True)}
    if fmt == "json":
        g = nx.node_link_graph(json.loads(out.read_text()), edges="links")
        edges = {(u, v, d["link_type"]) for u, v, d in g.edges(data=True)}
    elif fmt in ("graphml", "gexf"):
        g = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
        edges = {(u, v, d["link_type"]) for u, v, d in g.edges(data=True)}
        assert {g.nodes[n]["type"] for n in g.nodes} == {"concept", "agenda", "source"}
    else:
        import rdflib

        rdf = rdflib.Graph().parse(data=out.read_text(), format="json-ld")
        base, vocab = "urn:kgwiki:", "urn:kgwiki:vocab#"
        types = {str(o)[len(vocab):] for s, p, o in rdf if p == rdflib.RDF.type}
        assert types == {"concept", "agenda", "source"}
        g = nx.DiGraph()
        g.add_nodes_from(str(s)[len(base):] for s, p, o in rdf if p == rdflib.RDF.type)
        edges = {(str(s)[len(base):], str(o)[len(base):], str(p)[len(vocab):]) for s, p, o in rdf
                 if str(p).startswith(vocab) and isinstance(o, rdflib.URIRef) and str(p) != vocab + "tag"}
    assert set(g.nodes) == expected_nodes
    assert edges == expected_edges


def test_unlinked_mentions(make_wiki):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/reward-hacking.md": "---\ntitle: Reward hacking\nsummary: s\naliases: [specification gaming]\n---\n"
                                      "Reward hacking is its own topic.\n",
        "concepts/a.md": "---\ntitle: A\nsummary: s\n---\nModels do reward hacking. Again reward hacking.\n"
                         "`reward hacking` in code and [[reward-hacking|reward hacking]] linked.\n",
        "concepts/b.md": "---\ntitle: B\nsummary: s\n---\nSee [[reward-hacking]]; reward hacking is linked here.\n",
        "concepts/c.md": "---\ntitle: C\nsummary: s\n---\n```\nreward hacking\n```\nSpecification\ngaming too.\n",
    })
    found = {(m.page, m.location.line, m.location.col, m.text, m.target) for m in
             analysis.unlinked_mentions(load_wiki(root))}
    # a links it, b links it, the page itself is skipped, code is skipped; c's alias spans a line break
    assert found == {("c", 8, 1, "Specification\ngaming", "reward-hacking")}


def test_suggested_links_from_shared_sources(make_wiki):
    source = "---\ntitle: S{n}\nauthors: [Ann Author{n}]\nyear: 2020\n---\n"
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "sources/s1.md": source.format(n=1), "sources/s2.md": source.format(n=2),
        "concepts/x.md": "---\ntitle: X\nsummary: s\n---\n[@s1] [@s2]\n",
        "concepts/y.md": "---\ntitle: Y\nsummary: s\n---\n[@s1] [@s2]\n",
        "concepts/z.md": "---\ntitle: Z\nsummary: s\n---\n[@s1]\n",
    })
    found = [(s.page, s.target, s.link_type, s.kind) for s in analysis.suggested_links(load_wiki(root))]
    assert found == [("x", "y", "related", "shared-sources")]


def test_suggest_command(capsys):
    code, out, _ = run(capsys, "suggest", "--root", str(FIXTURE), "--format", "json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"links", "mentions"}
