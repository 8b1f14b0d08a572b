"""Golden files: the rendered HTML of the fixture wiki, byte for byte.

After an intended change to templates or rendering, regenerate with
    .venv/bin/python -m pytest tests/test_golden.py --update-golden
and review the diff of tests/golden/ like any other change.
"""

from pathlib import Path

import pytest

from kgwiki.markdown_ext import LinkTarget, make_markdown
from kgwiki.pipeline import build

GOLDEN = Path(__file__).parent / "golden" / "site"
PAGES = ["index.html", "mesa-optimization.html", "inner-alignment.html", "interpretability-agenda.html",
         "hubinger-2019.html", "types/concept.html", "tags/inner-alignment.html", "bibliography.html",
         "health.html", "graph.html"]


@pytest.mark.parametrize("name", PAGES)
def test_rendered_html_matches_golden(name, fixture_copy, request):
    root = fixture_copy("site")
    build(root, jobs=1)
    actual = (root / "site" / name).read_bytes()
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    assert golden.is_file(), f"no golden file for {name}: run pytest --update-golden"
    assert actual.decode() == golden.read_text(), f"{name} differs from its golden file"


def assert_renders(markdown_text: str, expected_html: str, pages: dict[str, LinkTarget] | None = None,
                   citations: dict[str, str] | None = None):
    """Python-Markdown's assertMarkdownRenders, for our extensions."""
    pages = pages or {}
    md, _, cite = make_markdown(lambda target: pages.get(target))
    md.reset()
    cite.citations = citations or {}
    assert md.convert(markdown_text) == expected_html


PAGE = {"a": LinkTarget("a", "a.html", "Alpha", "concept", "First letter.")}


def test_wikilink_forms():
    assert_renders("[[a]] [[a|the first]] [[a#Some Heading]]",
                   '<p><a class="internal" data-slug="a" href="a.html">Alpha</a> '
                   '<a class="internal" data-slug="a" href="a.html">the first</a> '
                   '<a class="internal" data-slug="a" href="a.html#some-heading">Alpha § Some Heading</a></p>', PAGE)


def test_typed_inline_link_renders_as_a_link():
    assert_renders("[[related::a]]", '<p><a class="internal" data-slug="a" href="a.html">Alpha</a></p>', PAGE)


def test_broken_link_is_visibly_missing():
    assert_renders("[[nowhere]]",
                   '<p><a class="internal broken" title="No page named “nowhere” yet">nowhere</a></p>')


def test_embed_is_a_link_card():
    assert_renders("![[a]]", '<p><a class="internal embed-card" data-slug="a" href="a.html"><strong>Alpha</strong>'
                             '<span class="embed-summary">First letter.</span></a></p>', PAGE)


def test_titles_are_text_not_markup():
    pages = {"x": LinkTarget("x", "x.html", "<b>bold</b>", "concept")}
    assert_renders("[[x]]", '<p><a class="internal" data-slug="x" href="x.html">&lt;b&gt;bold&lt;/b&gt;</a></p>', pages)


def test_citations_link_to_sources_but_not_in_code():
    assert_renders("As (Hubinger et al. 2019, §4; Other 2020) and Smith et al. (2020) say. `(Hubinger et al. 2019, §4)`",
                   '<p>As (<a class="citation" href="h.html">Hubinger et al. 2019, §4</a>; Other 2020) and '
                   '<a class="citation" href="s.html">Smith et al. (2020)</a> say. '
                   '<code>(Hubinger et al. 2019, §4)</code></p>',
                   citations={"Hubinger et al. 2019, §4": "h.html", "Smith et al. (2020)": "s.html"})


def test_wikilink_with_escaped_pipe_in_a_table():
    html_out = ('<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
                '<td><a class="internal" data-slug="a" href="a.html">x</a></td>\n</tr>\n</tbody>\n</table>')
    assert_renders("| a |\n|---|\n| [[a\\|x]] |", html_out, PAGE)
