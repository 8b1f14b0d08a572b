"""kgwiki build: the site and build/ artefacts, determinism, atomic and safe writing, escaping."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from kgwiki import render
from kgwiki.pipeline import build
from kgwiki.write import MARKER, WriteError, write_tree

REPO = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_site_and_artefacts(fixture_copy):
    root = fixture_copy("site")
    result = build(root)
    site = root / "site"
    for name in ("index.html", "mesa-optimization.html", "interpretability-agenda.html", "hubinger-2019.html",
                 "types/concept.html", "types/agenda.html", "types/source.html", "tags/inner-alignment.html",
                 "tags/index.html", "bibliography.html", "health.html", "graph.html", "404.html",
                 "assets/kgwiki.css", "assets/kgwiki.js", "assets/vis-network.min.js",
                 "assets/search-index.js", "assets/graph-data.js", MARKER):
        assert (site / name).is_file(), name
    assert not (site / "sitemap.xml").exists()  # no base_url
    graph = nx.node_link_graph(json.loads((root / "build" / "graph.json").read_text()), edges="links")
    assert graph.has_edge("mesa-optimization", "inner-alignment", key="related")
    graphml = nx.read_graphml(root / "build" / "graph.graphml")
    assert graphml.number_of_nodes() == result.check.wiki.graph.number_of_nodes()
    report = json.loads((root / "build" / "report.json").read_text())
    assert [d["code"] for d in report["diagnostics"]] == ["broken-link"]


def test_one_shared_vis_network_and_no_remote_urls(fixture_copy):
    root = fixture_copy("site")
    build(root)
    site = root / "site"
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert "vis-network.min.js" not in html or html.count("vis-network.min.js") == 1
        # nothing is loaded from elsewhere: every src/href to a resource is relative
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            if url.startswith(("http://", "https://")):
                assert 'class="external"' in html  # only links a reader follows, never a resource
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html), page


def test_page_content(fixture_copy):
    root = fixture_copy("site")
    build(root)
    html = (root / "site" / "mesa-optimization.html").read_text()
    assert '<h1 id="page-title">Mesa-optimization</h1>' in html
    assert 'class="badge type-concept"' in html
    assert "mesa-optimizer" in html and "learned optimization" in html  # aliases
    assert 'href="tags/inner-alignment.html"' in html
    assert '<a class="citation" href="hubinger-2019.html">Hubinger et al. 2019, §1</a>' in html
    assert 'href="deceptive-alignment.html#definition"' in html  # heading anchor
    assert "<table>" in html and 'class="footnote"' in html  # tables and footnotes
    assert "not-a-link" in html and 'href="not-a-link.html"' not in html  # code is code
    assert 'id="panel-related"' in html and "whether the mesa-objective matches" in html  # typed panel + description
    assert "Addressed by" in html  # backlinks grouped by the inverse name
    assert 'id="map-data"' in html and "<noscript>" in html
    assert 'href="https://arxiv.org/abs/1906.01820"' in html  # sources cited with primary URL
    inner = (root / "site" / "inner-alignment.html").read_text()
    assert 'class="internal broken"' in inner  # a missing page is visibly missing
    assert "Reading path" in (root / "site" / "deceptive-alignment.html").read_text()
    agenda = (root / "site" / "interpretability-agenda.html").read_text()
    assert "Concepts addressed and the sources behind each" in agenda


def test_map_carries_only_the_neighbourhood(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate

    generate(120, tmp_path / "wiki")
    result = build(tmp_path / "wiki", tmp_path / "site")
    undirected = result.check.wiki.graph.to_undirected(as_view=True)
    for page in (tmp_path / "site").glob("concept-*.html"):
        data = json.loads(re.search(r'id="map-data">(.*?)</script>', page.read_text(), re.S).group(1))
        center = next(n["id"] for n in data["nodes"] if n.get("current"))
        near = nx.single_source_shortest_path_length(undirected, center, cutoff=2)
        assert {n["id"] for n in data["nodes"]} <= set(near)
        assert len(data["nodes"]) <= 41
        assert all(isinstance(n["x"], (int, float)) and isinstance(n["y"], (int, float)) for n in data["nodes"])


def test_two_builds_are_byte_identical(fixture_copy, tmp_path):
    root = fixture_copy("site")
    build(root, tmp_path / "one", jobs=1)
    build(root, tmp_path / "two", jobs=2)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_parallel_render_matches_serial(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate

    generate(60, tmp_path / "wiki")
    monkeypatch.setattr(render, "PARALLEL_THRESHOLD", 10)
    build(tmp_path / "wiki", tmp_path / "serial", jobs=1)
    build(tmp_path / "wiki", tmp_path / "parallel", jobs=2)
    assert tree(tmp_path / "serial") == tree(tmp_path / "parallel")


def test_refuses_to_replace_a_folder_kgwiki_did_not_make(fixture_copy, tmp_path):
    root = fixture_copy("site")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me")
    with pytest.raises(WriteError, match="not made by kgwiki"):
        build(root, mine)
    assert (mine / "precious.txt").read_text() == "keep me"
    out = subprocess.run([sys.executable, "-m", "kgwiki", "build", "--root", str(root), "--out", str(mine)],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "refusing to replace" in out.stderr and "Traceback" not in out.stderr


def test_failed_build_leaves_previous_site(fixture_copy, monkeypatch):
    root = fixture_copy("site")
    build(root)
    before = tree(root / "site")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(render.Renderer, "render_listings", explode)
    (root / "concepts" / "mesa-optimization.md").write_text("---\ntitle: Changed\n---\nchanged\n")
    with pytest.raises(RuntimeError):
        build(root)
    assert tree(root / "site") == before
    assert not [p for p in root.iterdir() if p.name.startswith(".site.")]  # no staging left behind


def test_write_tree_rejects_paths_outside(tmp_path):
    for bad in ("../escape.html", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(WriteError):
            write_tree(tmp_path / "out", {bad: b"x"})
    assert not (tmp_path / "escape.html").exists()


def test_strict_writes_nothing_when_there_are_problems(fixture_copy):
    root = fixture_copy("site")
    out = subprocess.run([sys.executable, "-m", "kgwiki", "build", "--root", str(root), "--strict"],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert not (root / "site").exists()
    out = subprocess.run([sys.executable, "-m", "kgwiki", "build", "--root", str(root)], capture_output=True, text=True)
    assert out.returncode == 1 and (root / "site" / "index.html").is_file()  # errors, but the site is built
    assert "open file://" in out.stdout


def test_sitemap_with_base_url(fixture_copy):
    root = fixture_copy("site")
    toml = root / "wiki.toml"
    toml.write_text(toml.read_text().replace('[wiki]\n', '[wiki]\nbase_url = "https://example.org/wiki/"\n'))
    build(root)
    sitemap = (root / "site" / "sitemap.xml").read_text()
    assert "<loc>https://example.org/wiki/mesa-optimization.html</loc>" in sitemap
    assert "404.html" not in sitemap


def test_markup_in_names_is_escaped(fixture_copy):
    root = fixture_copy("xss")
    build(root)
    site = root / "site"
    for page in site.rglob("*.html"):
        html = page.read_text()
        # no live markup from page data: payloads appear only escaped, or inside JSON with < escaped
        assert "<script>alert" not in html, page
        assert "<img src=x onerror" not in html, page
        assert "<svg onload" not in html, page
        assert 'href="javascript:' not in html.lower(), page
        assert "<iframe" not in html, page
        for data in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
            assert "<" not in data
            json.loads(data)
    assert (site / "img-src-x-onerror-alert-1.html").is_file()  # the file name is made safe


def test_output_does_not_depend_on_hash_seeds(tmp_path):
    """Byte-identical across processes: nothing may follow the order of a set of strings."""
    import shutil

    wiki = tmp_path / "wiki"
    for part in ("concepts", "sources"):
        shutil.copytree(REPO / part, wiki / part)
    shutil.copy(REPO / "wiki.toml", wiki / "wiki.toml")
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"site-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "kgwiki", "build", "--root", str(wiki), "--out", str(out)],
                       env=env, check=True, capture_output=True)
        outs.append(tree(out))
    assert outs[0].keys() == outs[1].keys()
    assert [p for p in outs[0] if outs[0][p] != outs[1][p]] == []


def test_prose_in_a_typed_section_is_kept(fixture_copy):
    root = fixture_copy("site")
    page = root / "concepts" / "inner-alignment.md"
    page.write_text(page.read_text().replace("- [[deceptive-alignment]] — one way inner alignment fails.\n",
                                             "- [[deceptive-alignment]] — one way inner alignment fails.\n\n"
                                             "See also [[interpretability-agenda]] for tools.\n"))
    build(root)
    html = (root / "site" / "inner-alignment.html").read_text()
    body = html.split('<div class="page-body">')[1].split("</div>")[0]
    assert "See also" in body and 'data-slug="interpretability-agenda"' in body
    assert "one way inner alignment fails" not in body  # the typed bullet is shown as a panel, not twice
    assert "one way inner alignment fails" in html
