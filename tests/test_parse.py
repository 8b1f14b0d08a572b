"""parse.py: front matter, typed sections and fields, page types and titles; never raises on content."""

import tomllib
from pathlib import Path

import pytest

from kgwiki.config import default_config, parse_config
from kgwiki.model import SourceFile
from kgwiki.parse import parse_page
from kgwiki.pipeline import check
from tests.conftest import SCHEMA

CONFIG = parse_config(Path("."), tomllib.loads(SCHEMA))
PLAIN = default_config(Path("."))


def parse(text, path="concepts/x.md", config=CONFIG):
    return parse_page(SourceFile(path, text), config)


def bad_fm(result):
    return [(d.location.line, d.location.col, d.message, d.hint) for d in result.diagnostics
            if d.code == "bad-front-matter"]


# --- front matter ----------------------------------------------------------------------

def test_good_front_matter():
    r = parse("---\ntitle: Mesa\nsummary: '  s  '\naliases: [m, n]\ntags: ['#inner', outer]\n"
              "ignore: [orphan-page]\n---\n# Body\n")
    p = r.page
    assert r.diagnostics == ()
    assert (p.title, p.summary, p.aliases, p.tags, p.ignore, p.body_line, p.title_from_meta) == (
        "Mesa", "s", ("m", "n"), ("inner", "outer"), frozenset({"orphan-page"}), 8, True)
    assert p.field_lines == {"title": 2, "summary": 3, "aliases": 4, "tags": 5, "ignore": 6}
    assert p.body == "# Body\n"


def test_a_parsed_page_is_a_whole_page_and_survives_pickling():
    import dataclasses
    import pickle

    from kgwiki.model import Page

    p = parse("---\ntitle: T\nrelated: [a]\n---\n# T\nSee [[b|B]] (Hubinger et al. 2019).\n"
              "## Related concepts\n- [[c]] — why\n").page
    assert set(vars(p)) == {f.name for f in dataclasses.fields(Page)}  # Page.of was given every field
    assert p == Page(**vars(p)) and hash(p) == hash(Page(**vars(p)))
    back = pickle.loads(pickle.dumps(p))
    assert back == p and vars(back) == vars(p) and len(p.links) == 3 and len(p.citations) == 1


def test_a_single_string_is_a_one_item_list():
    p = parse("---\ntitle: T\naliases: just one\n---\n").page
    assert p.aliases == ("just one",)


def test_unterminated_front_matter_is_reported_and_the_body_still_parsed():
    r = parse("---\ntitle: A\nsummary: s\n\nbody [[b]]\n")
    assert bad_fm(r)[0][:2] == (1, 1)
    assert "never closed" in bad_fm(r)[0][2]
    assert [(l.target, l.location.line, l.location.col) for l in r.page.links] == [("b", 5, 6)]
    assert r.page.title == "x"


def test_yaml_syntax_error_points_at_the_line_and_column():
    r = parse("---\ntitle: ok\nsummary: Risks: a review\n---\n## Definition\n[[b]]\n")
    [(line, col, message, hint)] = bad_fm(r)
    assert (line, col) == (3, 15)
    assert message.startswith("front matter is not valid YAML")
    assert "quote" in hint
    # the page is still built from its body
    assert [l.target for l in r.page.links] == ["b"]
    assert r.page.body_line == 5 and r.page.meta == {}


def test_yaml_error_at_the_end_of_the_block_stays_inside_the_front_matter():
    r = parse("---\ntitle: A\nsummary: [unclosed\n---\nbody\n")
    [(line, _, _, _)] = bad_fm(r)
    assert 2 <= line <= 4  # between the fences (inclusive)
    assert r.page.body == "body\n"


@pytest.mark.parametrize("yaml_text, kind", [("- a\n- b\n", "a list of strings"), ("just text\n", "a string"), ("42\n", "a number")])
def test_front_matter_must_be_a_mapping(yaml_text, kind):
    r = parse(f"---\n{yaml_text}---\n# Heading\n")
    [(line, col, message, _)] = bad_fm(r)
    assert (line, col) == (2, 1)
    assert message.endswith(kind)
    assert r.page.title == "Heading"


@pytest.mark.parametrize("text, path, line, field, want, hint", [
    ("---\ntitle: T\naliases: 3\n---\n", "concepts/x.md", 3, "aliases", "a list of strings", None),
    ("---\ntitle: T\nauthors: [A]\nyear: \"2019\"\n---\n", "sources/x.md", 4, "year", "a whole number", None),
    ("---\ntitle: T\nyear: true\n---\n", "sources/x.md", 3, "year", "a whole number", "boolean"),
    ("---\ntitle: no\n---\n", "concepts/x.md", 2, "title", "a string", "boolean"),
    ("---\ntitle: T\nsummary: 2019-05-01\n---\n", "concepts/x.md", 3, "summary", "a string", "date"),
    ("---\ntitle: T\nversion: 1\nurl: 1.10\n---\n", "sources/x.md", 4, "url", "a string", "decimal"),
    ("---\ntitle: T\ntags: [a, 2]\n---\n", "concepts/x.md", 3, "tags", "a list of strings", None),
    ("---\ntitle: T\nalt_years: [2019, x]\n---\n", "sources/x.md", 3, "alt_years", "a list of whole numbers", None),
    ("---\ntitle: T\nrelated: {a: b}\n---\n", "concepts/x.md", 3, "related", "a list of strings", None),
])
def test_fields_of_the_wrong_type(text, path, line, field, want, hint):
    r = parse(text, path)
    [(got_line, col, message, got_hint)] = bad_fm(r)
    assert (got_line, col) == (line, 1)
    assert f"field `{field}` must be {want}" in message
    if hint:
        assert hint in got_hint
        assert ("quote" in got_hint) == (want == "a string")  # quoting helps only where a string is wanted
    assert field not in r.page.meta  # dropped, never passed on with the wrong type
    assert r.page is not None


def test_boolean_title_falls_back_to_the_h1():
    r = parse("---\ntitle: no\n---\n# Real Title\n")
    assert r.page.title == "Real Title" and not r.page.title_from_meta


def test_good_fields_survive_a_bad_one():
    p = parse("---\ntitle: T\nsummary: s\naliases: 3\ntags: [t]\n---\n").page
    assert (p.title, p.summary, p.aliases, p.tags) == ("T", "s", (), ("t",))


def test_empty_front_matter_and_null_values():
    assert parse("---\n---\nbody\n").diagnostics == ()
    p = parse("---\ntitle: T\naliases:\nsummary:\n---\n").page
    assert (p.aliases, p.summary) == ((), "")


def test_dots_close_front_matter():
    p = parse("---\ntitle: T\n...\nbody\n").page
    assert (p.title, p.body, p.body_line) == ("T", "body\n", 4)


def test_a_dashes_line_not_at_the_start_is_not_front_matter():
    p = parse("\n---\ntitle: T\n---\n").page
    assert p.meta == {} and p.title == "x"


def test_bad_pages_are_still_built_in_the_wiki(make_wiki):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/a.md": "---\ntitle: A\nsummary: Risks: a review\n---\nSee [[b]].\n",
        "concepts/b.md": "---\ntitle: B\nsummary: s\naliases: 3\n---\nSee [[a]].\n",
        "concepts/c.md": "---\ntitle: C\nsummary: s\n\nSee [[a]] and [[b]].\n",
    })
    result = check(root)
    assert set(result.wiki.pages) == {"a", "b", "c"}
    assert sorted((d.location.path, d.location.line) for d in result.diagnostics if d.code == "bad-front-matter") == [
        ("concepts/a.md", 3), ("concepts/b.md", 4), ("concepts/c.md", 1)]
    assert result.wiki.graph.has_edge("a", "b") and result.wiki.graph.has_edge("c", "b")


# --- typed sections ------------------------------------------------------------------------

def section_links(body):
    p = parse("---\ntitle: T\nsummary: s\n---\n" + body).page
    return [(l.target, l.link_type, l.description, l.origin, l.location.line, l.location.col) for l in p.links]


def test_bullets_under_a_typed_section_with_every_separator():
    body = ("## Related concepts\n"
            "- [[e]] \u2014 em dash\n"
            "- [[f]] \u2013 en dash\n"
            "- [[g]] - hyphen\n"
            "- [[h]]: colon\n"
            "- [[i]]\n"
            "* [[j]] -- double hyphen\n"
            "+ [[k|K]] \u2014 with a label\n")
    assert section_links(body) == [
        ("e", "related", "em dash", "section", 6, 3),
        ("f", "related", "en dash", "section", 7, 3),
        ("g", "related", "hyphen", "section", 8, 3),
        ("h", "related", "colon", "section", 9, 3),
        ("i", "related", None, "section", 10, 3),
        ("j", "related", "double hyphen", "section", 11, 3),
        ("k", "related", "with a label", "section", 12, 3),
    ]


def test_only_links_opening_a_bullet_in_the_section_are_typed():
    body = ("Prose [[p]].\n"
            "## related CONCEPTS\n"      # headings match case-insensitively
            "- [[a]] \u2014 typed; [[b]] in the description is a mention\n"
            "- text first [[c]]\n"
            "Plain [[d]].\n"
            "    - [[e]] indented too far\n"
            "## Related agendas\n"
            "- [[f]] \u2014 an agenda\n"
            "## Other\n"
            "- [[g]] \u2014 untyped\n")
    got = [(t, lt, d) for t, lt, d, *_ in section_links(body)]
    assert got == [
        ("p", None, None), ("a", "related", "typed; [[b]] in the description is a mention"), ("b", None, None),
        ("c", None, None), ("d", None, None), ("e", None, None), ("f", "agenda", "an agenda"), ("g", None, None)]


def test_inline_type_wins_over_the_section():
    assert section_links("## Related concepts\n- [[requires::a]] \u2014 x\n")[0][:4] == ("a", "requires", None, "inline")


def test_a_section_inside_code_is_not_a_section():
    assert section_links("```\n## Related concepts\n```\n- [[a]] \u2014 x\n")[0][1] is None


# --- front-matter links ----------------------------------------------------------------------------

def field_links(front):
    p = parse(f"---\ntitle: T\nsummary: s\n{front}---\n").page
    return [(l.target, l.link_type, l.origin, l.location.line) for l in p.links]


def test_front_matter_link_lists_are_typed_links_on_the_fields_line():
    assert field_links("related: [a, b]\nrequires: [\"[[c|C]]\"]\n") == [
        ("a", "related", "field", 4), ("b", "related", "field", 4), ("c", "requires", "field", 5)]


def test_front_matter_block_list_links_are_on_their_item_lines():
    assert field_links("requires:\n  - c\n  - d\n") == [("c", "requires", "field", 5), ("d", "requires", "field", 6)]


def test_front_matter_link_with_a_bad_target_is_malformed():
    r = parse("---\ntitle: T\nrelated: [../../x, ok]\n---\n")
    assert [(d.code, d.location.line) for d in r.diagnostics] == [("malformed-link", 3)]
    assert [l.target for l in r.page.links] == ["ok"]


def test_front_matter_link_positions_point_at_the_value():
    p = parse("---\ntitle: T\nrelated: [a, b]\nrequires:\n  - e\n---\n").page
    got = [(l.target, l.location.line, l.location.col) for l in p.links]
    assert got == [("a", 3, 11), ("b", 3, 14), ("e", 5, 5)]


def test_field_links_become_graph_edges(make_wiki):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/a.md": "---\ntitle: A\nsummary: s\nrequires: [b]\nrelated: [b]\n---\n",
        "concepts/b.md": "---\ntitle: B\nsummary: s\nrelated: [a]\n---\n",
    })
    g = check(root).wiki.graph
    assert set(g["a"]["b"]) == {"requires", "related"}
    assert g["a"]["b"]["requires"]["line"] == 4


# --- types and titles ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path, front, expected", [
    ("concepts/x.md", "", "concept"),
    ("concepts/agendas/x.md", "", "agenda"),       # the most specific folder wins
    ("concepts/deep/er/x.md", "", "concept"),
    ("sources/x.md", "", "source"),
    ("elsewhere/x.md", "", "concept"),              # the default type: the first declared
    ("concepts/x.md", "type: agenda\n", "agenda"),  # front matter wins over the folder
    ("sources/x.md", "type: widget\n", "widget"),   # unknown types are kept for validate to report
])
def test_type_from_folder_or_front_matter(path, front, expected):
    assert parse(f"---\ntitle: T\n{front}---\n", path).page.type == expected


def test_schema_less_pages_are_type_page():
    assert parse("# T\n", "notes/x.md", PLAIN).page.type == "page"


def test_title_from_front_matter_then_h1():
    assert parse("---\ntitle: Meta\n---\n# H1\n").page.title == "Meta"
    p = parse("Intro.\n\n## Not this\n# From H1 *emph*\n# Second\n").page
    assert (p.title, p.title_from_meta) == ("From H1 emph", False)


def test_schema_less_title_falls_back_to_the_file_stem():
    p = parse("no heading here\n", "notes/My Note.md", PLAIN).page
    assert p.title == "My Note"
    assert p.slug == "my-note"


def test_missing_title_only_with_a_schema(make_wiki):
    root = make_wiki({"wiki.toml": SCHEMA, "concepts/a.md": "---\nsummary: s\n---\ntext\n",
                      "concepts/b.md": "---\nsummary: s\n---\n# B Title\n[[a]]\n"})
    result = check(root)
    assert [(d.code, d.location.path) for d in result.diagnostics if d.code == "missing-title"] == [
        ("missing-title", "concepts/a.md")]
    assert result.wiki.pages["b"].title == "B Title"


def test_heading_lines_are_file_lines():
    p = parse("---\ntitle: T\n---\n# One\n\ntext\n## Two ##\n```\n# not\n```\n### Three\n").page
    assert [(h.level, h.text, h.anchor, h.line) for h in p.headings] == [
        (1, "One", "one", 4), (2, "Two", "two", 7), (3, "Three", "three", 11)]


def test_anchor_to_a_heading_with_inline_code(make_wiki):
    root = make_wiki({"a.md": "## The `foo()` call\n\n[[b]]\n", "b.md": "[[a#The foo() call]]\n"})
    assert [d.code for d in check(root).diagnostics if d.code == "broken-anchor"] == []


def test_yaml_error_line_with_unicode_line_separators():
    text = "---\na: 1\u2028b: 2\u2028c: 3\u2028d: [\n---\n"
    [(line, _, _, _)] = bad_fm(parse(text, "x.md", PLAIN))
    assert 1 <= line <= text.count("\n") + 1
