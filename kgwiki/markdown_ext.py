"""Python-Markdown extensions: wikilinks and citations, linked through the resolved graph.

Modelled on Python-Markdown's own `extensions/wikilinks.py` (an InlineProcessor
with an injected URL builder) and `extensions/footnotes.py` (the extension holds
per-document state and registers itself so `reset()` clears it).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable

from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString

from kgwiki import syntax


_UNESCAPED = re.compile("\x02(\\d+)\x03")  # how InlineProcessor.unescape marks an escaped character


@dataclass(frozen=True)
class LinkTarget:
    """What a wikilink points at, as the renderer resolved it."""

    slug: str
    url: str
    title: str
    type: str
    summary: str = ""


class WikiLinkProcessor(InlineProcessor):
    """`[[target#anchor|label]]`, `[[type::target]]` and `![[target]]` -> links; unknown targets -> a visibly broken link."""

    def __init__(self, extension: "WikiLinkExtension", md):
        super().__init__(r"(!)?\[\[([^\[\]\n]+?)\]\]", md)
        self.ext = extension

    def handleMatch(self, m, data):
        # `\|` inside a table cell was already turned into a placeholder by the escape pattern
        inner = _UNESCAPED.sub(lambda e: chr(int(e.group(1))), self.unescape(m.group(2)))
        target, anchor, label, _ = syntax.parse_link_inner(inner)
        resolved = self.ext.resolve(target) if target else self.ext.current
        text = label or (resolved.title if resolved and target else target) or (anchor or "")
        if anchor and not label and target:
            text = f"{text} § {anchor}"
        if resolved is None:
            el = etree.Element("a", {"class": "internal broken", "title": f"No page named “{target}” yet"})
            el.text = AtomicString(label or target)
            return el, m.start(0), m.end(0)
        if resolved.type in ("external", "attachment", "tag"):
            return self._special(resolved, label), m.start(0), m.end(0)
        href = resolved.url if target else ""
        if anchor:
            href += "#" + syntax.anchor_id(anchor)
        if m.group(1):  # an embed becomes a link card
            el = etree.Element("a", {"class": "internal embed-card", "href": href, "data-slug": resolved.slug})
            title = etree.SubElement(el, "strong")
            title.text = AtomicString(label or resolved.title)
            if resolved.summary:
                summary = etree.SubElement(el, "span", {"class": "embed-summary"})
                summary.text = AtomicString(resolved.summary)
            return el, m.start(0), m.end(0)
        el = etree.Element("a", {"class": "internal", "href": href, "data-slug": resolved.slug})
        el.text = AtomicString(text)
        return el, m.start(0), m.end(0)


    @staticmethod
    def _special(resolved: LinkTarget, label: str | None):
        """An embedded URL (a plain link: the site loads nothing from elsewhere), an attachment
        (named, not copied into the site) or a tag page."""
        if resolved.type == "attachment":
            el = etree.Element("span", {"class": "attachment"})
        elif resolved.type == "tag":
            el = etree.Element("a", {"class": "tag", "href": resolved.url})
        else:
            el = etree.Element("a", {"class": "external", "href": resolved.url, "rel": "noopener"})
        el.text = AtomicString(label or resolved.title)
        return el


class CitationTreeprocessor(Treeprocessor):
    """Wrap each resolved citation in prose with a link to its source page.

    Runs after the inline patterns, on text nodes only (never inside code or an
    existing link), and finds citations with the very regexes the parser uses, so
    what is linked is exactly what was checked.
    """

    SKIP = {"code", "pre", "a", "script", "style"}

    def __init__(self, md, extension: "CitationExtension"):
        super().__init__(md)
        self.ext = extension

    def run(self, root):
        if self.ext.citations:
            self._walk(root)

    def _walk(self, element):
        if element.tag in self.SKIP:
            return
        children = list(element)
        if element.text:
            self._split(element, element.text, None)
        for child in children:
            self._walk(child)
            if child.tail:
                self._split(element, child.tail, child)

    def _split(self, parent, text: str, after):
        if not any(written in text for written in self.ext.citations):
            return  # what is linked must be in the text: this skips the scan of most text nodes
        found = [c for c in syntax.find_citations(text) if c.text in self.ext.citations]
        if not found:
            return
        pieces, pos = [], 0
        for c in found:
            if c.offset < pos:
                continue
            pieces.append(text[pos:c.offset])
            link = etree.Element("a", {"class": "citation", "href": self.ext.citations[c.text]})
            link.text = AtomicString(c.text)
            pieces.append(link)
            pos = c.offset + len(c.text)
        pieces.append(text[pos:])
        # Put the pieces back: leading text where the old text was, links with their tails after it.
        lead, rest = pieces[0], pieces[1:]
        if after is None:
            parent.text = lead
            index = 0
        else:
            after.tail = lead
            index = list(parent).index(after) + 1
        for i in range(0, len(rest), 2):
            link, tail = rest[i], rest[i + 1]
            link.tail = tail
            parent.insert(index, link)
            index += 1


class WikiLinkExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {
            "resolve": [lambda target: None, "callable: link target -> LinkTarget or None"],
        }
        super().__init__(**kwargs)
        self.current: LinkTarget | None = None

    def resolve(self, target: str) -> LinkTarget | None:
        return self.getConfig("resolve")(target)

    def extendMarkdown(self, md):
        """Registers `wikilink` at 175: before `reference` (170) and `link` (160), which would
        otherwise read the inner `[target]` as a reference link."""
        md.inlinePatterns.register(WikiLinkProcessor(self, md), "wikilink", 175)
        md.registerExtension(self)

    def reset(self):
        self.current = None


class CitationExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {}
        super().__init__(**kwargs)
        self.citations: dict[str, str] = {}  # citation text as written -> URL of its source page

    def extendMarkdown(self, md):
        """Registers `citations` as a tree processor at 15: after `inline` (20), so it sees final
        text nodes, and before `prettify` (10)."""
        md.treeprocessors.register(CitationTreeprocessor(md, self), "citations", 15)
        md.registerExtension(self)

    def reset(self):
        self.citations = {}


# What each of Python-Markdown's inline patterns needs in a document (after its whitespace
# normalisation) before it can match anywhere: each text node is otherwise tried against
# every pattern, about a sixth of rendering a page. Inline text is always a piece of the
# document, at most with placeholders (letters and digits between STX and ETX) in place of
# some of it, so a pattern whose text is absent cannot match. Patterns not listed always run.
INLINE_NEEDS = {
    "backtick": ("`",), "escape": ("\\",), "footnote": ("[^",), "wikilink": ("[[",),
    "reference": ("[",), "link": ("[",), "short_reference": ("[",),
    "image_link": ("![",), "image_reference": ("![",), "short_image_ref": ("![",),
    "autolink": ("<",), "automail": ("<",), "html": ("<",), "entity": ("&",),
    "linebreak": ("  \n",), "em_strong": ("*", "_"), "em_strong2": ("_",), "not_strong": ("*", "_"),
    "strong": ("*",), "emphasis": ("*",), "strong2": ("_",), "emphasis2": ("_",),
}


class InlinePruner(Preprocessor):
    """Before each document: the inline treeprocessor gets only the patterns that can match in it.

    Dropping a pattern that finds nothing changes nothing: the treeprocessor just moves on to
    the next one (Python-Markdown's smarty extension swaps this list the same way)."""

    def __init__(self, md):
        super().__init__(md)
        patterns = md.inlinePatterns
        needs = {id(patterns[name]): text for name, text in INLINE_NEEDS.items() if name in patterns}
        self.patterns = [(pattern, needs.get(id(pattern))) for pattern in patterns]

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines).replace(STX, "").replace(ETX, "")
        text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(self.md.tab_length)
        self.md.treeprocessors["inline"].inlinePatterns = [
            pattern for pattern, needs in self.patterns if needs is None or any(n in text for n in needs)]
        return lines


class InlinePrunerExtension(Extension):
    def extendMarkdown(self, md):
        """Registers at 100: before every other preprocessor, to see the document as written."""
        md.preprocessors.register(InlinePruner(md), "inline_pruner", 100)


class LeanTocTreeprocessor(TocTreeprocessor):
    """The toc extension's treeprocessor, making the rendered TOC only for a document that has the
    marker it replaces (`[TOC]`). Pages use the `toc_tokens`, never `md.toc`: without a marker
    building, serialising and post-processing the TOC's HTML was ~5% of the Markdown time."""

    def run(self, doc) -> None:
        # the lines after the preprocessors: every text the marker could be found in comes from them
        self.has_marker = bool(self.marker) and any(self.marker in line for line in self.md.lines)
        super().run(doc)

    def build_toc_div(self, toc_list: list) -> etree.Element:
        return super().build_toc_div(toc_list) if self.has_marker else etree.Element("div")

    def replace_marker(self, root, elem) -> None:
        if self.has_marker:
            super().replace_marker(root, elem)


class LeanTocExtension(TocExtension):
    TreeProcessorClass = LeanTocTreeprocessor


def make_markdown(resolve: Callable[[str], LinkTarget | None],
                  lean: bool = True) -> tuple[Markdown, WikiLinkExtension, CitationExtension]:
    """One Markdown instance per process, reset between pages. (`lean=False`: without InlinePruner
    and LeanTocTreeprocessor, for tests that show they change nothing.)"""
    wikilinks = WikiLinkExtension(resolve=resolve)
    citations = CitationExtension()
    toc = LeanTocExtension(permalink=False) if lean else TocExtension(permalink=False)
    md = Markdown(extensions=[toc, "tables", "footnotes", "fenced_code", "sane_lists", "attr_list",
                              wikilinks, citations, *([InlinePrunerExtension()] if lean else [])],
                  output_format="html")
    return md, wikilinks, citations
