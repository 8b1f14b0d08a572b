"""syntax.py: wikilinks, link-target checks, citations, code masking, positions, heading anchors."""

import re

import markdown
import pytest

from kgwiki import syntax
from kgwiki.syntax import find_citations, find_unclosed, find_wikilinks, mask_code, target_problem


def links(text):
    """(offset, end, embed, target, anchor, label, link_type) of each wikilink in `text`."""
    masked = mask_code(text)
    return [(l.offset, l.end, l.embed, l.target, l.anchor, l.label, l.link_type) for l in find_wikilinks(masked)]


def targets(text):
    return [l.target for l in find_wikilinks(mask_code(text))]


def cites(text):
    return list(find_citations(mask_code(text)))


def unclosed(text):
    masked = mask_code(text)
    return list(find_unclosed(masked, list(find_wikilinks(masked))))


# --- wikilink forms ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("[[a]]", (0, 5, False, "a", None, None, None)),
    ("[[a|label]]", (0, 11, False, "a", None, "label", None)),
    ("[[a#Heading]]", (0, 13, False, "a", "Heading", None, None)),
    ("[[a#Heading|label]]", (0, 19, False, "a", "Heading", "label", None)),
    ("![[a]]", (0, 6, True, "a", None, None, None)),
    ("see ![[a]]", (4, 10, True, "a", None, None, None)),
    ("[[type::a]]", (0, 11, False, "a", None, None, "type")),
    ("[[type::a|label]]", (0, 17, False, "a", None, "label", "type")),
    ("[[related::mesa-optimization#Definition|mesa]]",
     (0, 46, False, "mesa-optimization", "Definition", "mesa", "related")),
    ("[[  spaced target  |  label  ]]", (0, 31, False, "spaced target", None, "label", None)),
    ("[[#Local heading]]", (0, 18, False, "", "Local heading", None, None)),
])
def test_wikilink_forms(text, expected):
    assert links(text) == [expected]


def test_escaped_pipe_inside_a_table_is_the_label_separator():
    text = "| page | note |\n|---|---|\n| [[a\\|label]] | x |\n"
    [(offset, end, embed, target, anchor, label, link_type)] = links(text)
    assert (target, label, embed, link_type) == ("a", "label", False, None)
    assert text[offset:end] == "[[a\\|label]]"


def test_a_colon_that_is_not_a_type_prefix_stays_in_the_target():
    # `::` only types a link when what precedes it is a name
    assert links("[[a:b]]") == [(0, 7, False, "a:b", None, None, None)]
    assert links("[[1x::b]]")[0][3] == "1x::b"
    assert links("[[1x::b]]")[0][6] is None


def test_several_links_on_a_line_keep_their_own_offsets():
    text = "x [[a]] y ![[b|B]] z [[t::c#H]]"
    assert links(text) == [
        (2, 7, False, "a", None, None, None),
        (10, 18, True, "b", None, "B", None),
        (21, 31, False, "c", "H", None, "t"),
    ]


def test_a_link_never_spans_lines():
    assert targets("[[a\nb]]") == []
    assert unclosed("[[a\nb]]") == [0]


@pytest.mark.parametrize("text, offsets", [
    ("an [[unclosed link", [3]),
    ("[[a] b", [0]),
    ("[[ok]] and [[not ok", [11]),
    ("[[ok]] ![[ok too]]", []),
    ("no brackets at all", []),
])
def test_unclosed_brackets_are_found_at_their_offset(text, offsets):
    assert unclosed(text) == offsets


def test_unclosed_brackets_inside_code_are_ignored():
    assert unclosed("`[[not a link` and\n```\n[[nor this\n```\n") == []


# --- target problems ---------------------------------------------------------------

@pytest.mark.parametrize("target, fragment", [
    ("../../x", "`..`"),
    ("a/../b", "`..`"),
    ("..", "`..`"),
    ("a\x01b", "control characters"),
    ("tab\there", "control characters"),
    ("del\x7f", "control characters"),
    ("C:\\x", "absolute file path"),
    ("C:/Users/x", "absolute file path"),
    ("\\\\server\\share", "absolute file path"),
    ("http://example.org", "URL"),
    ("https://example.org/page", "URL"),
    ("ftp://host/x", "URL"),
])
def test_target_problem_names_the_problem(target, fragment):
    problem = target_problem(target)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("target", [
    "mesa-optimization", "My Note", "folder/Note", "note.md", "a:b", "Über", "C", "x.y.z", "a..b",
])
def test_plain_targets_have_no_problem(target):
    assert target_problem(target) is None


# --- citations ---------------------------------------------------------------------

def one(text):
    found = cites(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, cited, surnames, et_al, year, suffix, locator", [
    ("See (Hubinger et al. 2019).", "Hubinger et al. 2019", ("Hubinger",), True, 2019, "", None),
    ("See (Hubinger et al. 2019, §4).", "Hubinger et al. 2019, §4", ("Hubinger",), True, 2019, "", "§4"),
    ("See (Hubinger et al. 2019 §4).", "Hubinger et al. 2019 §4", ("Hubinger",), True, 2019, "", "§4"),
    ("(Hubinger et al. 2019, p. 12)", "Hubinger et al. 2019, p. 12", ("Hubinger",), True, 2019, "", "p. 12"),
    ("(Hubinger et al., 2019)", "Hubinger et al., 2019", ("Hubinger",), True, 2019, "", None),
    ("(Manheim & Garrabrant 2018)", "Manheim & Garrabrant 2018", ("Manheim", "Garrabrant"), False, 2018, "", None),
    ("(Manheim and Garrabrant 2018)", "Manheim and Garrabrant 2018", ("Manheim", "Garrabrant"), False, 2018,
     "", None),
    ("(Smith, Jones & Lee 2020)", "Smith, Jones & Lee 2020", ("Smith", "Jones", "Lee"), False, 2020, "", None),
    ("(Amodei 2016b)", "Amodei 2016b", ("Amodei",), False, 2016, "b", None),
    ("(see Hubinger et al. 2019)", "Hubinger et al. 2019", ("Hubinger",), True, 2019, "", None),
    ("(in Claude 3 Sonnet, Templeton et al. 2024)", "Templeton et al. 2024", ("Templeton",), True, 2024, "", None),
])
def test_parenthetical_citations(text, cited, surnames, et_al, year, suffix, locator):
    c = one(text)
    assert (c.form, c.text, c.surnames, c.et_al, c.year, c.year_suffix, c.locator, c.key) == (
        "parenthetical", cited, surnames, et_al, year, suffix, locator, None)
    assert text[c.offset:c.offset + len(c.text)] == c.text


@pytest.mark.parametrize("text, cited, surnames, et_al, year, suffix, locator", [
    ("Hubinger et al. (2019) showed", "Hubinger et al. (2019)", ("Hubinger",), True, 2019, "", None),
    ("As Hubinger et al. (2019, §4) argue", "Hubinger et al. (2019, §4)", ("Hubinger",), True, 2019, "", "§4"),
    ("von Oswald et al. (2023) showed", "von Oswald et al. (2023)", ("von Oswald",), True, 2023, "", None),
    ("Amodei et al. (2016b) list", "Amodei et al. (2016b)", ("Amodei",), True, 2016, "b", None),
    ("Smith and Jones (2020) say", "Smith and Jones (2020)", ("Smith", "Jones"), False, 2020, "", None),
    ("in Claude 3 Sonnet, Templeton et al. (2024) found", "Templeton et al. (2024)", ("Templeton",), True, 2024,
     "", None),
])
def test_narrative_citations(text, cited, surnames, et_al, year, suffix, locator):
    c = one(text)
    assert (c.form, c.text, c.surnames, c.et_al, c.year, c.year_suffix, c.locator) == (
        "narrative", cited, surnames, et_al, year, suffix, locator)
    assert text[c.offset:c.offset + len(c.text)] == c.text


def test_templeton_offset_skips_the_words_before_the_name():
    text = "in Claude 3 Sonnet, Templeton et al. (2024) found"
    assert one(text).offset == text.index("Templeton")


def test_several_parenthetical_citations_split_on_semicolons():
    text = "(Langosco et al. 2022; Shah et al. 2022)"
    a, b = cites(text)
    assert (a.text, a.offset, a.surnames, a.year) == ("Langosco et al. 2022", 1, ("Langosco",), 2022)
    assert (b.text, b.offset, b.surnames, b.year) == ("Shah et al. 2022", 23, ("Shah",), 2022)
    assert text[b.offset:b.offset + len(b.text)] == b.text


def test_two_narrative_citations_on_one_line():
    text = "Christiano et al. (2017) and Leike et al. (2018)"
    found = cites(text)
    assert [(c.form, c.text, c.offset) for c in found] == [
        ("narrative", "Christiano et al. (2017)", 0), ("narrative", "Leike et al. (2018)", 29)]


def test_narrative_year_is_not_also_a_parenthetical():
    assert [c.form for c in cites("Hubinger et al. (2019) and more")] == ["narrative"]


def test_pandoc_key():
    c = one("as shown [@hubinger-2019-risks].")
    assert (c.form, c.key, c.text, c.offset, c.locator) == ("key", "hubinger-2019-risks", "@hubinger-2019-risks", 10, None)


def test_pandoc_several_keys_with_locator():
    text = "[@a; @b, p. 3]"
    a, b = cites(text)
    assert (a.form, a.key, a.locator, a.offset, a.text) == ("key", "a", None, 1, "@a")
    assert (b.form, b.key, b.locator, b.offset, b.text) == ("key", "b", "p. 3", 5, "@b, p. 3")


def test_label_citation():
    c = one("see (Atlas Ch.7) for more")
    assert (c.form, c.text, c.offset, c.year, c.surnames) == ("label", "Atlas Ch.7", 5, None, ())


@pytest.mark.parametrize("text", [
    "[a link](https://example.org/Smith 2019)",
    "[Hubinger et al. 2019](https://example.org)",
    "call f(x) or g(Smith 2019)",
    "(https://example.org)",
    "(@not-pandoc)",
])
def test_not_citations(text):
    assert [c for c in cites(text) if c.form != "label"] == []
    assert all(c.form == "label" and "://" not in c.text for c in cites(text))


def test_citations_are_returned_in_text_order():
    text = "[@k] then (Doe et al. 2020) then Roe et al. (2021) then (Atlas Ch.7)"
    found = cites(text)
    assert [c.form for c in found] == ["key", "parenthetical", "narrative", "label"]
    assert [c.offset for c in found] == sorted(c.offset for c in found)


# --- code masking ----------------------------------------------------------------------

def test_links_and_citations_in_inline_code_are_ignored():
    text = "x `[[a]]` y `(Smith et al. 2019)` z ``[[b]] ` (Doe et al. 2020)`` [[c]] (Roe et al. 2021)"
    assert targets(text) == ["c"]
    assert [c.text for c in cites(text)] == ["Roe et al. 2021"]


@pytest.mark.parametrize("fence, close", [
    ("```", "```"), ("~~~", "~~~"), ("````", "`````"), ("```python", "```"), ("~~~ {.md}", "~~~"), ("   ```", "```"),
])
def test_links_and_citations_in_fenced_code_are_ignored(fence, close):
    text = f"before [[a]]\n{fence}\n[[x]] (Smith et al. 2019) [@k]\n{close}\nafter [[b]] (Doe et al. 2020)\n"
    assert targets(text) == ["a", "b"]
    assert [c.text for c in cites(text)] == ["Doe et al. 2020"]


def test_a_fence_closes_only_with_its_own_character_and_length():
    text = "````\n```\n[[a]]\n```\n````\n[[b]]\n~~~\n[[c]]\n```\n[[d]]\n~~~\n[[e]]\n"
    assert targets(text) == ["b", "e"]


def test_an_unclosed_fence_runs_to_the_end():
    assert targets("[[a]]\n```\n[[b]]\n\n[[c]]\n") == ["a"]


def test_html_comments_are_ignored():
    assert targets("<!-- [[a]] (Smith et al. 2019) --> [[b]]") == ["b"]
    assert cites("<!-- [[a]] (Smith et al. 2019) --> [[b]]") == []


def test_an_unmatched_backtick_masks_nothing():
    assert targets("a ` b [[x]]") == ["x"]


def test_mask_code_keeps_length_and_newlines():
    text = "a `[[x]]`\n```\ncode\n\n```\n<!-- c\nd -->\nz"
    masked = mask_code(text)
    assert len(masked) == len(text)
    assert [i for i, ch in enumerate(masked) if ch == "\n"] == [i for i, ch in enumerate(text) if ch == "\n"]
    assert masked.startswith("a ") and masked.endswith("\nz")
    assert "[[x]]" not in masked and "code" not in masked


# --- positions ----------------------------------------------------------------------------

def test_line_index_positions_are_one_based():
    text = "ab\ncde\n\nf"
    index = syntax.LineIndex(text)
    assert index.position(0) == (1, 1)
    assert index.position(1) == (1, 2)
    assert index.position(3) == (2, 1)
    assert index.position(5) == (2, 3)
    assert index.position(7) == (3, 1)
    assert index.position(8) == (4, 1)
    assert syntax.LineIndex(text, first_line=10).position(3) == (11, 1)


def test_parse_page_positions_of_links_and_citations_are_exact():
    from kgwiki.config import default_config
    from kgwiki.model import SourceFile
    from kgwiki.parse import parse_page
    from pathlib import Path

    text = ("---\ntitle: T\n---\n"        # lines 1-3
            "# T\n"                        # 4
            "Intro [[a]] and ![[b|B]].\n"  # 5
            "\tTabbed (Smith et al. 2019, §2) [@k].\n"  # 6
            "Narrative: Doe et al. (2020).\n")  # 7
    page = parse_page(SourceFile("t.md", text), default_config(Path("."))).page
    assert [(l.target, l.location.line, l.location.col, l.embed) for l in page.links] == [
        ("a", 5, 7, False), ("b", 5, 17, True)]
    assert [(c.text, c.location.line, c.location.col) for c in page.citations] == [
        ("Smith et al. 2019, §2", 6, 10), ("@k", 6, 34), ("Doe et al. (2020)", 7, 12)]


# --- heading anchors ---------------------------------------------------------------------------

HEADINGS = [
    "Definition", "Related concepts", "Über die Lösung", "What is *mesa*-optimization?",
    "C++ & Rust: a review", "Deep **bold** _it_", "Emoji 🚀 here", "Numbers 1.2.3",
    "Trailing hashes ##", "A [link](http://example.org) here", "Dash – en — em", "Risks from learned optimization",
]


def toc_ids(headings):
    html = markdown.Markdown(extensions=["toc"]).convert("\n\n".join("## " + h for h in headings))
    return re.findall(r'<h2 id="([^"]*)"', html)


def test_heading_anchors_equal_python_markdown_toc_ids():
    text = "\n\n".join("## " + h for h in HEADINGS)
    found = list(syntax.find_headings(mask_code(text)))
    assert len(found) == len(HEADINGS)
    assert [syntax.anchor_id(t) for _, _, t, _ in found] == toc_ids(HEADINGS)


def test_heading_anchor_keeps_inline_code():
    heading = "The `foo()` call"
    [(_, _, text, _)] = syntax.find_headings(mask_code("## " + heading), "## " + heading)
    assert syntax.anchor_id(text) == toc_ids([heading])[0] == "the-foo-call"


def test_headings_in_code_are_not_headings():
    text = "# Real\n```\n# Not a heading\n```\n## Also real ##\n"
    assert [(level, t) for _, level, t, _ in syntax.find_headings(mask_code(text))] == [(1, "Real"), (2, "Also real")]


def test_heading_text_uses_link_labels():
    assert syntax.heading_text("About [[mesa-optimization|Mesa]] and [[inner]]") == "About Mesa and inner"


@pytest.mark.parametrize("a, b", [
    ("Mesa-Optimization", "mesa optimization"), ("mesa_optimization", "MESA  OPTIMIZATION"), (" x ", "X"),
])
def test_normalise_name_folds_case_dashes_underscores_spaces(a, b):
    assert syntax.normalise_name(a) == syntax.normalise_name(b)
