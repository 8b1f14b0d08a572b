"""Machine-readable views of the wiki: the search index, the explorer's graph data,
graph.json / graph.graphml exports, and PageRank."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import networkx as nx

from kgwiki.graph import Wiki

SEARCH_BODY_CHARS = 900
PREVIEW_SUMMARY_CHARS = 160

TYPE_COLORS = {"concept": "#3f6fa3", "agenda": "#b8612b", "source": "#4f8a4a", "page": "#7160a8"}
EXTRA_COLORS = ("#a8466b", "#2f8f8f", "#8a7a2f", "#5d6d7e")
LINK_STYLES = {
    "related": {"color": "#3f6fa3", "dashes": False, "arrows": False},
    "requires": {"color": "#8e44ad", "dashes": False, "arrows": True},
    "agenda": {"color": "#b8612b", "dashes": False, "arrows": True},
    "addresses": {"color": "#b8612b", "dashes": False, "arrows": True},
    "cites": {"color": "#4f8a4a", "dashes": True, "arrows": True},
    "mentions": {"color": "#9aa3ad", "dashes": True, "arrows": True},
}


def type_styles(wiki: Wiki) -> dict[str, dict[str, str]]:
    names = sorted(set(wiki.config.types) | {p.type for p in wiki.pages.values()})
    extra = iter(EXTRA_COLORS * (len(names) + 1))
    return {name: {"color": TYPE_COLORS.get(name) or next(extra)} for name in names}


def link_styles(wiki: Wiki) -> dict[str, dict[str, Any]]:
    out = {}
    for i, name in enumerate(sorted(wiki.config.links)):
        style = dict(LINK_STYLES.get(name) or {"color": EXTRA_COLORS[i % len(EXTRA_COLORS)], "dashes": False,
                                               "arrows": True})
        style["label"] = name
        out[name] = style
    return out


def pagerank(wiki: Wiki) -> dict[str, float]:
    if wiki.graph.number_of_nodes() == 0:
        return {}
    simple = nx.DiGraph()
    simple.add_nodes_from(wiki.graph.nodes)
    # one edge per linked pair, from networkx's adjacency: the same edges in the same order as
    # graph.edges() gives (so the same floats), without a tuple per link
    simple.add_edges_from((u, v) for u, targets in wiki.graph._succ.items() for v in targets)
    try:
        return nx.pagerank(simple, alpha=0.85, tol=1e-8)
    except nx.PowerIterationFailedConvergence:  # pragma: no cover - tiny pathological graphs
        return {n: 1 / simple.number_of_nodes() for n in simple}


_MARKUP = re.compile(r"```.*?```|`[^`\n]*`|<!--.*?-->|<[^>]+>", re.S)
_WIKILINK_TEXT = re.compile(r"!?\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# `^#+\s*|[*_>#|]+|^\s*[-+]\s+` with the two line-start branches tried together (no branch can
# match where another with a different first character does, so it matches the same): ~20% faster
_PUNCT = re.compile(r"^(?:#+\s*|\s*[-+]\s+)|[*_>#|]+", re.M)


def plain_text(markdown_text: str) -> str:
    """Readable text of a page body for search snippets: no markup, links by their labels."""
    text = _MARKUP.sub(" ", markdown_text)
    text = _WIKILINK_TEXT.sub(lambda m: m.group(1).split("#")[0].replace("-", " "), text)
    text = _MD_LINK.sub(r"\1", text)
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())  # = re.sub(r"\s+", " ", text).strip(): the same whitespace, ~4x faster


_ENTRIES: dict[str, tuple[tuple, dict]] = {}  # slug -> (what it was made from, entry): serve edits one page


def search_index(wiki: Wiki, urls: dict[str, str]) -> dict[str, Any]:
    pages = []
    for slug in sorted(wiki.pages):
        page = wiki.pages[slug]
        made_from = (urls[slug], page.title, page.type, page.aliases, page.summary, hash(page.body), page.body[:64])
        known = _ENTRIES.get(slug)
        if known is None or known[0] != made_from:
            entry = {"u": urls[slug], "t": page.title, "y": page.type, "a": list(page.aliases), "m": page.summary,
                     "b": plain_text(page.body[:SEARCH_BODY_CHARS * 3])[:SEARCH_BODY_CHARS]}
            known = _ENTRIES[slug] = (made_from, entry)
        pages.append(known[1])
    return {"pages": pages}


def explorer_data(wiki: Wiki, urls: dict[str, str], positions, ranks) -> dict[str, Any]:
    nodes = []
    for slug in sorted(wiki.pages):
        page = wiki.pages[slug]
        x, y = positions.get(slug, (0.0, 0.0))
        nodes.append({"id": slug, "label": page.title, "type": page.type, "tags": list(page.tags),
                      "url": urls[slug], "x": x, "y": y, "summary": page.summary[:PREVIEW_SUMMARY_CHARS],
                      "rank": round(ranks.get(slug, 0.0) * len(wiki.pages), 3)})
    edges = [{"from": u, "to": v, "type": k} for u, v, k in sorted(wiki.graph.edges(keys=True))]
    return {"nodes": nodes, "edges": edges, "types": type_styles(wiki), "links": link_styles(wiki)}


def js_assignment(name: str, data: Any) -> bytes:
    """`window.NAME = {...};` for data loaded by a <script> tag (fetch does not work from file://)."""
    return f"window.{name} = {html_safe_json(data)};\n".encode()


def html_safe_json(data: Any) -> str:
    """JSON that can sit inside <script>: `<`, `>`, `&` and line separators escaped."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def export_rows(wiki: Wiki) -> tuple[list[tuple[str, dict]], list[tuple[str, str, str, dict]]]:
    """The exported nodes and edges, sorted, with only scalar attributes (GraphML and GEXF cannot
    hold lists or None)."""
    graph = wiki.graph
    nodes = []
    for slug in sorted(graph.nodes):  # slugs are word characters, `.`, `-` and `/`: nothing to replace
        data = graph.nodes[slug]
        nodes.append((slug, {"type": _xml_safe(data["type"]), "title": _xml_safe(data["title"]),
                             "summary": _xml_safe(data["summary"]), "tags": _xml_safe(",".join(data["tags"])),
                             "path": _xml_safe(data["path"])}))
    edges = []
    for u, v, k, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3]):
        k = _xml_safe(k)  # a link type named in wiki.toml may hold anything TOML can escape
        attrs = {"link_type": k, "path": _xml_safe(data.get("path") or ""), "line": data.get("line") or 0}
        if data.get("description"):
            attrs["description"] = _xml_safe(data["description"])
        edges.append((u, v, k, attrs))
    return nodes, edges


def _xml_safe(value: Any) -> Any:
    """Text with the characters XML 1.0 cannot hold (a stray control character in a description,
    a file name) replaced by U+FFFD, so every export stays well-formed and none can fail."""
    if isinstance(value, str) and _NOT_XML_TEXT.search(value):
        return _NOT_XML_TEXT.sub("\ufffd", value)
    return value


def export_graph(wiki: Wiki) -> nx.MultiDiGraph:
    """The exported graph as networkx holds it (for GEXF)."""
    nodes, edges = export_rows(wiki)
    out = nx.MultiDiGraph()
    out.add_nodes_from(nodes)
    out.add_edges_from(edges)
    return out


def graph_json(wiki: Wiki) -> bytes:
    """networkx's node-link form (`node_link_data(..., edges="links")`), made from the rows directly."""
    nodes, edges = export_rows(wiki)
    head = {"directed": True, "multigraph": True, "graph": {}}
    # one record a line: readable and diffable, and encoded in C (json's indent= is pure Python)
    lines = [json.dumps(head, ensure_ascii=False, sort_keys=True)[:-1] + ', "nodes": [']
    lines += [json.dumps({**attrs, "id": slug}, ensure_ascii=False, sort_keys=True) + "," for slug, attrs in nodes]
    if nodes:
        lines[-1] = lines[-1][:-1]
    lines.append('], "links": [')
    lines += [json.dumps({**attrs, "source": u, "target": v, "key": k}, ensure_ascii=False, sort_keys=True) + ","
              for u, v, k, attrs in edges]
    if edges:
        lines[-1] = lines[-1][:-1]
    lines.append("]}")
    return ("\n".join(lines) + "\n").encode()


GRAPHML_HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://graphml.graph"
                "drawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">")
# What lxml refuses to write (networkx's writer then raises): such a graph goes through networkx.
# NUL is left out: it separates the values escaped in one go, and is counted instead.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def graph_graphml(wiki: Wiki) -> bytes:
    """GraphML, byte for byte what networkx's writer (lxml) makes of `export_graph`, written as text:
    networkx builds an element per node, edge and value (~4 s at 10,000 pages). Values of other
    types than the export's strings and integers go through networkx."""
    nodes, edges = export_rows(wiki)
    keys: dict[tuple[str, str, str], str] = {}  # (scope, name, type) -> key id, numbered as networkx does
    templates: dict[tuple, str] = {}  # (scope, names and types) -> the record with {} for each field
    records, names, values = [], [], []  # per record: its template; then every field, escaped in bulk below
    for scope, ids, attrs in _graphml_records(nodes, edges):
        shape = (scope, *((name, _graphml_type(value)) for name, value in attrs.items()))
        template = templates.get(shape)
        if template is None:
            if any(kind is None for _, kind in shape[1:]):
                return _graphml_by_networkx(wiki)
            template = templates[shape] = _graphml_template(scope, shape[1:], keys)
        records.append(template)
        names.extend(ids)
        values.extend(str(value) for value in attrs.values())
    names, values = _escaped(names, _attr), _escaped(values, _text)
    out, n, v = [], 0, 0
    for template, (_, ids, attrs) in zip(records, _graphml_records(nodes, edges)):
        out.append(template.format(*names[n:n + len(ids)], *values[v:v + len(attrs)]))
        n, v = n + len(ids), v + len(attrs)
    key_lines = [f'<key id="{key_id}" for="{scope}" attr.name="{_attr(name)}" attr.type="{kind}"/>\n'
                 for (scope, name, kind), key_id in reversed(keys.items())]
    return "".join([GRAPHML_HEAD, *key_lines, '<graph edgedefault="directed">', *out,
                    "</graph></graphml>"]).encode("utf-8")


def _graphml_records(nodes, edges):
    """(scope, the record's own names, its attributes) of each node, then each edge."""
    for slug, attrs in nodes:
        yield "node", (slug,), attrs
    for u, v, k, attrs in edges:
        yield "edge", (u, v, k), attrs


def _graphml_template(scope: str, shape: tuple, keys: dict) -> str:
    """A record as lxml pretty-prints it, numbering new keys as networkx does (in order of first use)."""
    head = '<node id="{}"' if scope == "node" else '<edge source="{}" target="{}" id="{}"'
    lines = []
    for name, kind in shape:
        key_id = keys.setdefault((scope, name, kind), f"d{len(keys)}")
        lines.append(f'  <data key="{key_id}">{{}}</data>\n')
    return f"{head}>\n{''.join(lines)}</{scope}>\n" if lines else f"{head}/>\n"


def _graphml_type(value: Any) -> str | None:
    if type(value) is str:
        return "string"
    if type(value) is int:
        return "long"
    return None


def _escaped(fields: list[str], escape) -> list[str]:
    """Every field escaped with one pass over all of them (export_rows leaves no NUL to split on)."""
    return escape("\0".join(fields)).split("\0") if fields else []


def _text(value: str) -> str:
    """Escaped as libxml2 escapes text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(value: str) -> str:
    """Escaped as libxml2 escapes an attribute value."""
    return _text(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _graphml_by_networkx(wiki: Wiki) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(export_graph(wiki), buffer, encoding="utf-8")
    return buffer.getvalue()


def graph_gexf(wiki: Wiki) -> bytes:
    buffer = io.BytesIO()
    nx.write_gexf(export_graph(wiki), buffer, encoding="utf-8")
    return buffer.getvalue()


def graph_jsonld(wiki: Wiki) -> bytes:
    """JSON-LD: one node per page, each link type a property whose values are page ids."""
    base = (wiki.config.base_url.rstrip("/") + "/") if wiki.config.base_url else "urn:kgwiki:"
    vocab = base + "vocab#"
    context: dict[str, Any] = {"@vocab": vocab, "title": "http://purl.org/dc/terms/title",
                               "summary": "http://purl.org/dc/terms/abstract", "tags": {"@id": vocab + "tag",
                                                                                         "@container": "@set"}}
    for name in sorted(wiki.config.links):
        context[name] = {"@id": vocab + name, "@type": "@id", "@container": "@set"}
    nodes = []
    for slug in sorted(wiki.graph.nodes):
        page = wiki.pages[slug]
        # full IRIs: a relative id against a URN base is resolved differently by different readers
        node: dict[str, Any] = {"@id": base + slug, "@type": page.type, "title": page.title}
        if page.summary:
            node["summary"] = page.summary
        if page.tags:
            node["tags"] = list(page.tags)
        targets: dict[str, list[str]] = {}
        for _, target, key in sorted(wiki.graph.out_edges(slug, keys=True)):
            targets.setdefault(key, []).append(base + target)
        node.update(targets)
        nodes.append(node)
    return (json.dumps({"@context": context, "@graph": nodes}, ensure_ascii=False, indent=1, sort_keys=True)
            + "\n").encode()


EXPORTS = {"json": graph_json, "graphml": graph_graphml, "gexf": graph_gexf, "jsonld": graph_jsonld}
