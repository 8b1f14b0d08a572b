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


@pytest.fixture
def wiki():
    return load_wiki(FIXTURES / "site")


def test_graphml_is_networkx_byte_for_byte(wiki):
    text = indexes.graph_graphml(wiki)
    assert text == networkx_graphml(wiki)
    read = nx.read_graphml(io.BytesIO(text))
    expected = nx.read_graphml(io.BytesIO(networkx_graphml(wiki)))
    assert list(read.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(read.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))


def test_graphml_escapes_as_networkx_does(wiki):
    first, second = sorted(wiki.graph.nodes)[:2]
    wiki.graph.nodes[first]["summary"] = AWKWARD
    wiki.graph.nodes[second]["title"] = AWKWARD
    wiki.graph.nodes[second]["tags"] = [AWKWARD, "x"]
    u, v, k = next(iter(wiki.graph.edges(keys=True)))
    wiki.graph.edges[u, v, k]["description"] = AWKWARD
    wiki.graph.edges[u, v, k]["path"] = AWKWARD
    text = indexes.graph_graphml(wiki)
    assert text == networkx_graphml(wiki)
    root = ET.fromstring(text)  # well-formed, and the values come back as they were
    values = {d.text for d in root.iter("{http://graphml.graphdrawing.org/xmlns}data")}
    assert AWKWARD in values


def test_graphml_of_an_empty_graph_and_of_nodes_alone(wiki):
    edges = list(wiki.graph.edges(keys=True))
    wiki.graph.remove_edges_from(edges)
    assert indexes.graph_graphml(wiki) == networkx_graphml(wiki)
    wiki.graph.remove_nodes_from(list(wiki.graph.nodes))
    assert indexes.graph_graphml(wiki) == networkx_graphml(wiki)


def test_graphml_falls_back_to_networkx_for_what_it_does_not_write(wiki):
    slug = sorted(wiki.graph.nodes)[0]
    wiki.graph.nodes[slug]["summary"] = "bell \x07"  # XML cannot hold it: networkx refuses, and so do we
    with pytest.raises(ValueError):
        indexes.graph_graphml(wiki)
    wiki.graph.nodes[slug]["summary"] = 1.5  # another type: networkx types it
    assert indexes.graph_graphml(wiki) == networkx_graphml(wiki)


def test_graph_json_is_networkx_node_link_data(wiki):
    first = sorted(wiki.graph.nodes)[0]
    wiki.graph.nodes[first]["summary"] = AWKWARD
    assert json.loads(indexes.graph_json(wiki)) == networkx_json(wiki)
