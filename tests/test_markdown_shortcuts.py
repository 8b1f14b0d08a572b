"""The shortcuts taken to render pages faster change nothing in the HTML."""

from hypothesis import HealthCheck, given, settings, strategies as st

from kgwiki.markdown_ext import LinkTarget, make_markdown

PAGES = {"a": LinkTarget("a", "a.html", "Alpha", "concept", "First letter."), "b": LinkTarget("b", "b.html", "B", "x")}
FRAGMENTS = [
    "*", "**", "***", "_", "__", "`", "``", "\\", "\\\\", "[", "]", "(", ")", "!", "![", "![x](i.png)", "[^1]",
    "[^1]: a note\n", "<b>", "</b>", "<div>\n", "</div>\n", "<http://x.y/z>", "<a@b.c>", "&amp;", "&", "&#35;", "  \n",
    " \n", "\t", "\r\n", "\r", "[[a]]", "[[a|x]]", "![[a]]", "[[b#H]]", "[[missing]]", "[x]: http://u\n", "[x]",
    "[x][]", "[y][x]", "[t](http://u)", "\n", "\n\n", "- ", "1. ", "> ", "# ", "## H\n", "```\n", "~~~\n", "    ",
    "| a | b |\n|---|---|\n", "|", "---\n", "{: .c}", "\x02", "\x03", "wzxhzdk:0", "klzzwxh:0", "word", " ",
    "(Smith 2019)", "Smith (2019)", "[TOC]",
]
markdown_texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=30).map("".join)
pruned = make_markdown(lambda target: PAGES.get(target))
plain = make_markdown(lambda target: PAGES.get(target), lean=False)


def render(made, text: str) -> tuple[str, list]:
    md, _, cite = made
    md.reset()
    cite.citations = {"Smith 2019": "s.html", "Smith (2019)": "s.html"}
    return md.convert(text), md.toc_tokens  # (md.toc, the TOC as HTML, is not used)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=markdown_texts)
def test_pruned_inline_patterns_and_lean_toc_render_the_same(text):
    assert render(pruned, text) == render(plain, text)
