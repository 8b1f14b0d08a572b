"""Node positions computed at build time, so the browser never runs a physics simulation.

vis-network's own physics takes minutes to settle a thousand nodes; positions
from here let it draw at once and never jitter. Page maps are small and get a
radial layout (no force simulation at all); the explorer's whole graph gets
igraph's Fruchterman-Reingold (C core: ~0.7 s at 10,000 nodes; networkx's
spring_layout takes minutes there). Both are deterministic.
"""

from __future__ import annotations

import math
import random
from typing import Iterable

import networkx as nx

Position = tuple[float, float]


def radial_layout(center: str, rings: list[list[str]], spacing: float = 150.0) -> dict[str, Position]:
    """`center` at the origin, each ring of nodes on circles further out, in the order given.

    A ring too full to read (a hub's neighbours) is spread over several circles, each one
    holding more nodes than the one inside it, staggered so that labels do not line up."""
    positions: dict[str, Position] = {center: (0.0, 0.0)}
    radius = 0.0
    circle = 0
    for ring in rings:
        start = 0
        capacity = 12
        while start < len(ring):
            chunk = ring[start:start + capacity]
            radius += spacing if circle == 0 else spacing * 0.8
            offset = 0.5 * (circle % 2)
            for i, node in enumerate(chunk):
                angle = 2 * math.pi * (i + offset) / len(chunk) - math.pi / 2
                positions[node] = (round(radius * math.cos(angle), 1), round(radius * math.sin(angle), 1))
            start += capacity
            capacity += 8
            circle += 1
    return positions


def force_layout(nodes: list[str], edges: Iterable[tuple[str, str]], seed: int = 7) -> dict[str, Position]:
    """Whole-graph positions: Fruchterman-Reingold (igraph), seeded so the same graph lays out the same."""
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    import igraph

    index = {n: i for i, n in enumerate(nodes)}
    pairs = sorted({tuple(sorted((index[u], index[v]))) for u, v in edges if u != v and u in index and v in index})
    graph = igraph.Graph(n=len(nodes), edges=pairs)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        # the grid variant is O(n) per iteration instead of O(n^2): same look, much faster past a few hundred nodes
        coords = graph.layout_fruchterman_reingold(niter=300, grid=len(nodes) > 300).coords
    finally:
        igraph.set_random_number_generator(random)
    scale = 40.0
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {n: (round((x - cx) * scale, 1), round((y - cy) * scale, 1)) for n, (x, y) in zip(nodes, coords)}


def neighbourhood(graph: nx.MultiDiGraph, center: str, cap: int = 40, small: int = 8) -> list[list[str]]:
    """Rings of neighbours around `center` (either direction): depth 1, and depth 2 when depth 1 is small.

    A hub can have thousands of neighbours, so the first ring keeps the `cap` most strongly tied
    (typed links in both directions first, then outgoing links, then backlinks).
    """
    # networkx's own dicts ({u: {v: {key: data}}} both ways, and node data): this runs for every
    # page, over every neighbour of hubs, and networkx's views cost several times more
    succ, pred, data = graph._succ, graph._pred, graph._node

    def around(node: str) -> set[str]:
        return succ[node].keys() | pred[node].keys()

    def tie(node: str) -> tuple:
        out = succ[center].get(node, {})
        back = pred[center].get(node, {})
        typed = any(k not in ("mentions", "cites") for k in (*out, *back))
        return (not typed, not out, data[node].get("type", ""), node)

    first = sorted(sorted(around(center) - {center}, key=tie)[:cap],
                   key=lambda n: (data[n].get("type", ""), n))
    rings = [first]
    if len(first) < small:
        seen = {center, *first}
        second: list[str] = []
        for node in first:
            for other in sorted(around(node) - seen):
                if len(first) + len(second) >= 24:
                    break
                seen.add(other)
                second.append(other)
        if second:
            rings.append(second)
    return rings
