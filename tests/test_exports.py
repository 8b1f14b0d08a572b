"""The exports written as text (GraphML, graph.json) are exactly what networkx writes."""

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from kgwiki import indexes
from kgwiki.pipeline import load_wiki

FIXTURES = Path(__file__).parent / "fixtures"
AWKWARD = "a & b < c > d \"q\" 'a'\ttab\nline\r\nCRLF ]]> é 😀 \u2028"


def networkx_graphml(wiki) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(indexes.export_graph(wiki), buffer, encoding="utf-8")
    return buffer.getvalue()


def networkx_json(wiki) -> dict:
    return nx.node_link_data(indexes.export_graph(wiki), edges="links")


def same_graphml(ours: bytes, theirs: bytes) -> None:
    """The same keys, nodes, edges and values, as networkx and an XML parser read them back."""
    a, b = nx.read_graphml(io.BytesIO(ours)), nx.read_graphml(io.BytesIO(theirs))
    assert type(a) is type(b) and nx.utils.graphs_equal(a, b)
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))  # in the same order too
    ns = "{http://graphml.graphdrawing.org/xmlns}"

    def keys(text):
        return sorted((k.get("for"), k.get("attr.name"), k.get("attr.type")) for k in ET.fromstring(text).iter(ns + "key"))
    assert keys(ours) == keys(theirs)


# networkx writes GraphML through lxml when it is installed, through ElementTree otherwise
# (other whitespace); kgwiki writes lxml's form, so bytes are compared only where lxml is.
try:
    import lxml.etree  # noqa: F401
    HAS_LXML = True
except ImportError:
    HAS_LXML = False


@pytest.fixture
def wiki():
    return load_wiki(FIXTURES / "site")


def test_graphml_is_what_networkx_writes(wiki):
    text = indexes.graph_graphml(wiki)
    same_graphml(text, networkx_graphml(wiki))
    if HAS_LXML:
        assert text == networkx_graphml(wiki)


def test_graphml_escapes_as_networkx_does(wiki):
    first, second = sorted(wiki.graph.nodes)[:2]
    wiki.graph.nodes[first]["summary"] = AWKWARD
    wiki.graph.nodes[second]["title"] = AWKWARD
    wiki.graph.nodes[second]["tags"] = [AWKWARD, "x"]
    u, v, k = next(iter(wiki.graph.edges(keys=True)))
    wiki.graph.edges[u, v, k]["description"] = AWKWARD
    wiki.graph.edges[u, v, k]["path"] = AWKWARD
    text = indexes.graph_graphml(wiki)
    if HAS_LXML:
        assert text == networkx_graphml(wiki)
    # read back exactly as exported (networkx's ElementTree writer would lose the CR: ours keeps it)
    read = nx.read_graphml(io.BytesIO(text))
    nodes, edges = indexes.export_rows(wiki)
    assert [(slug, attrs) for slug, attrs in read.nodes(data=True)] == nodes
    assert [(u, v, k, {**attrs, "link_type": k}) for u, v, k, attrs in read.edges(keys=True, data=True)] == edges
    root = ET.fromstring(text)  # well-formed, and the values come back as they were
    values = {d.text for d in root.iter("{http://graphml.graphdrawing.org/xmlns}data")}
    assert AWKWARD in values


def test_graphml_of_an_empty_graph_and_of_nodes_alone(wiki):
    edges = list(wiki.graph.edges(keys=True))
    wiki.graph.remove_edges_from(edges)
    same_graphml(indexes.graph_graphml(wiki), networkx_graphml(wiki))
    wiki.graph.remove_nodes_from(list(wiki.graph.nodes))
    same_graphml(indexes.graph_graphml(wiki), networkx_graphml(wiki))


def test_text_xml_cannot_hold_is_replaced_not_fatal(wiki):
    slug = sorted(wiki.graph.nodes)[0]
    u, v, k = next(iter(wiki.graph.edges(keys=True)))
    wiki.graph.nodes[slug]["summary"] = "bell \x07 and NUL \x00"  # a stray control character in a page
    wiki.graph.edges[u, v, k]["description"] = "form feed \x0c"
    wiki.graph.nodes[slug]["type"] = "odd\x01type"  # YAML's "\x01" escape can put one in a type
    for export in ("graphml", "gexf"):
        root = ET.fromstring(indexes.EXPORTS[export](wiki))  # well-formed
        texts = [e.text for e in root.iter()] + [v for e in root.iter() for v in e.attrib.values()]
        assert "bell \ufffd and NUL \ufffd" in texts and "form feed \ufffd" in texts, export
        assert "odd\ufffdtype" in texts, export
    assert "bell \ufffd" in indexes.graph_json(wiki).decode()


def test_graphml_falls_back_to_networkx_for_other_types(wiki):
    slug = sorted(wiki.graph.nodes)[0]
    wiki.graph.nodes[slug]["summary"] = 1.5  # another type: networkx types it
    text = indexes.graph_graphml(wiki)
    assert text == networkx_graphml(wiki)
    assert nx.read_graphml(io.BytesIO(text)).nodes[slug]["summary"] == 1.5


def test_graph_json_is_networkx_node_link_data(wiki):
    first = sorted(wiki.graph.nodes)[0]
    wiki.graph.nodes[first]["summary"] = AWKWARD
    assert json.loads(indexes.graph_json(wiki)) == networkx_json(wiki)
