"""The only regular expressions of kgwiki: front matter, wikilinks, citations, headings.

Python-Markdown keeps no source positions, so every link and citation is found
here, in the raw text, with its line and column. Code (fenced and inline) and
HTML comments are masked out first, with the text length kept, so offsets in
the masked text are offsets in the file.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterator

from markdown.extensions.toc import slugify as _toc_slugify

from kgwiki.model import record

# --- front matter ----------------------------------------------------------

FRONT_MATTER_OPEN = re.compile(r"\A---[ \t]*\n")
# Anchored on a literal newline: a `^` with re.M makes the engine try every position.
FRONT_MATTER_CLOSE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\n|\Z)")


@record
class Split:
    front_matter: str | None  # the YAML text, without the fences
    fm_line: int  # file line of the YAML's first line
    body: str
    body_line: int  # file line where body starts
    unterminated: bool = False


def split_front_matter(text: str) -> Split:
    """Separate a leading `---` YAML block from the body."""
    opening = FRONT_MATTER_OPEN.match(text)
    if not opening:
        return Split(None, 1, text, 1)
    close = FRONT_MATTER_CLOSE.search(text, opening.end() - 1)
    if not close:
        return Split(None, 2, text, 1, unterminated=True)
    yaml_text = text[opening.end():close.start() + 1]
    after = close.end() + 1 if close.end() < len(text) else close.end()
    body_line = text.count("\n", 0, after) + 1
    return Split(yaml_text, 2, text[after:], body_line)


TOP_LEVEL_KEY = re.compile(r"^([^\s#:'\"-][^:\n]*?)[ \t]*:(?=[ \t]|$)", re.M)


def field_lines(yaml_text: str) -> dict[str, int]:
    """Top-level key -> its 0-based line in the YAML text (one scan for all keys)."""
    found: dict[str, int] = {}
    for m in TOP_LEVEL_KEY.finditer(yaml_text):
        found.setdefault(m.group(1), yaml_text.count("\n", 0, m.start()))
    return found


def field_line(yaml_text: str, field: str) -> int | None:
    """0-based line of `field:` at the top level of the YAML text."""
    return field_lines(yaml_text).get(field)


def value_position(yaml_text: str, field: str, value: str, lines: dict[str, int] | None = None) -> tuple[int, int] | None:
    """(0-based line, 0-based column) where list item `value` is written under `field`
    (inline `[a, b]` or a block list), or the field's own line when it cannot be told."""
    start = (lines if lines is not None else field_lines(yaml_text)).get(field)
    if start is None:
        return None
    rows = yaml_text.split("\n")
    for i in range(start, len(rows)):
        text = rows[i]
        if i > start and text[:1] not in ("", " ", "\t", "-"):
            break  # the next top-level key
        pos = text.index(":") + 1 if i == start and ":" in text else 0
        while True:
            pos = text.find(value, pos)
            if pos < 0:
                break
            before = text[pos - 1] if pos else " "
            after = text[pos + len(value):pos + len(value) + 1]
            if before in " \t[,-\"'" and after in ("", " ", "\t", ",", "]", "\"", "'"):
                return i, pos
            pos += 1
    return start, 0


# --- masking code and comments -----------------------------------------------

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[^\n]*$", re.M)
INLINE_CODE = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)(?P=ticks)(?!`)")
INLINE_CODE_ONE_LINE = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)[^\n]+?(?<!`)(?P=ticks)(?!`)")
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
SOURCES_BLOCK = re.compile(
    r"<!--\s*kgwiki:sources-cited\b.*?-->.*?<!--\s*/kgwiki:sources-cited\s*-->", re.S)


def _blank(match: re.Match) -> str:
    return _blank_text(match.group(0))


def mask_code(text: str, comments: bool = True) -> str:
    """Text with code, HTML comments and the generated sources block blanked (newlines kept).

    With `comments=False` only code is blanked, and inline code only within one line: that is
    how the sources markers are found, and what the backfill writes between them can then
    never turn them into code or out of it (idempotence)."""
    ticks = "`" in text
    if (ticks and "```" in text) or "~~~" in text:
        text = _mask_fences(text)
    original = text
    blocks = []
    if comments and "<!--" in text:
        # Until inline code is found, the generated block is one run of NUL (never in a page: read
        # rejects it), newlines included: whatever the backfill writes between the markers then
        # never changes what counts as code around them (idempotence). Its newlines come back after.
        blocks = [m.span() for m in SOURCES_BLOCK.finditer(text)]
        text = SOURCES_BLOCK.sub(lambda m: "\x00" * len(m.group(0)), text)
        text = HTML_COMMENT.sub(_blank, text)
    if ticks:
        text = (INLINE_CODE if comments else INLINE_CODE_ONE_LINE).sub(_blank, text)
    for start, end in blocks:
        text = text[:start] + _blank_text(original[start:end]) + text[end:]
    return text


def _blank_text(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _closing_fence(fence: str) -> re.Pattern:
    """What closes a code block opened by `fence` (`\r` allowed: cite reads CRLF pages as they are)."""
    return re.compile(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}[ \t\r]*$", re.M)


def unclosed_fence(text: str) -> str | None:
    """The fence (e.g. ```) of a code block left open at the end of `text`, or None."""
    pos = 0
    while True:
        opening = FENCE.search(text, pos)
        if not opening:
            return None
        fence = opening.group("fence")
        closing = _closing_fence(fence)
        end_match = closing.search(text, opening.end() + 1)
        if not end_match:
            return fence
        pos = end_match.end()


def _mask_fences(text: str) -> str:
    out, pos = [], 0
    while True:
        opening = FENCE.search(text, pos)
        if not opening:
            break
        fence = opening.group("fence")
        closing = _closing_fence(fence)
        end_match = closing.search(text, opening.end() + 1)
        end = end_match.end() if end_match else len(text)
        out.append(text[pos:opening.start()])
        out.append(re.sub(r"[^\n]", " ", text[opening.start():end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- positions ---------------------------------------------------------------

_NEWLINE = re.compile("\n")


class LineIndex:
    """Offset -> (line, col), both 1-based, in O(log n)."""

    def __init__(self, text: str, first_line: int = 1):
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self.first_line = first_line

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.first_line + i, offset - self.starts[i] + 1


# --- wikilinks ---------------------------------------------------------------

WIKILINK = re.compile(
    r"\[\["                      # a `!` just before makes it an embed (rendered as a link card)
    r"(?P<inner>[^\[\]\n]*)"    # type::target#anchor|label, on one line (greedy: it stops at `]`)
    r"\]\]")
OPEN_BRACKETS = re.compile(r"\[\[")
LINK_OR_OPEN = re.compile(r"\[\[(?:(?P<inner>[^\[\]\n]*)\]\])?")  # a wikilink, or a `[[` that opens none
LINK_TYPE_PREFIX = re.compile(r"^(?P<type>[A-Za-z][\w-]*)::")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@record
class RawLink:
    offset: int
    end: int
    embed: bool
    target: str
    anchor: str | None
    label: str | None
    link_type: str | None


def parse_link_inner(inner: str) -> tuple[str, str | None, str | None, str | None]:
    """`type::target#anchor|label` -> (target, anchor, label, type). `\\|` (inside tables) is a `|`."""
    if "\\" in inner:
        inner = inner.replace("\\|", "|")
    target, _, label = inner.partition("|")
    link_type = None
    typed = LINK_TYPE_PREFIX.match(target) if "::" in target else None
    if typed:
        link_type, target = typed.group("type"), target[typed.end():]
    target, hash_, anchor = target.partition("#")
    return target.strip(), (anchor.strip() or None) if hash_ else None, label.strip() or None, link_type


def find_wikilinks(masked: str) -> Iterator[RawLink]:
    return iter(scan_wikilinks(masked)[0])


def scan_wikilinks(masked: str) -> tuple[list[RawLink], list[int]]:
    """The wikilinks, and the offsets of `[[` that open none (find_unclosed), in one scan when
    every `[[` opens a link, as nearly always: counting `[[` in the text costs as much again."""
    matches = list(LINK_OR_OPEN.finditer(masked))
    if any(m.group("inner") is None for m in matches):  # some `[[` opens no link: the careful way
        matches = list(WIKILINK.finditer(masked))
        links = [_raw_link(masked, m) for m in matches]
        return links, list(find_unclosed(masked, links))
    return [_raw_link(masked, m) for m in matches], []


def _raw_link(masked: str, m: re.Match) -> RawLink:
    target, anchor, label, link_type = parse_link_inner(m.group("inner"))
    embed = m.start() > 0 and masked[m.start() - 1] == "!"
    return RawLink(m.start() - embed, m.end(), embed, target, anchor, label, link_type)


def find_unclosed(masked: str, links: list[RawLink]) -> Iterator[int]:
    """Offsets of `[[` that open no complete wikilink."""
    if masked.count("[[") == len(links) and "[[[" not in masked:
        return  # the common case: each `[[` opens one of the links
    starts = {link.offset + link.embed for link in links}
    for m in OPEN_BRACKETS.finditer(masked):
        if m.start() not in starts and not any(l.offset < m.start() < l.end for l in links):
            yield m.start()


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
ATTACHMENT = re.compile(r"\.(?!md$)[A-Za-z0-9]{1,12}$")  # a file name with an extension other than .md


def is_url(target: str) -> bool:
    return bool(_URL.match(target))


def is_attachment(target: str) -> bool:
    """`diagram.png`, `paper.pdf`: Obsidian links and embeds files that are not pages."""
    return bool(ATTACHMENT.search(target)) and not is_url(target)


_PLAIN_TARGET = re.compile(r"[^\x00-\x1f\x7f\\/:.]*")


def target_problem(target: str) -> str | None:
    """Why a link target can never name a page in the wiki, or None."""
    if _PLAIN_TARGET.fullmatch(target):
        return None  # the common case: a plain name
    if CONTROL_CHARS.search(target):
        return "contains control characters"
    if re.match(r"^[A-Za-z]:[\\/]", target) or target.startswith("\\"):
        return "is an absolute file path"
    if ".." in re.split(r"[\\/]", target):
        return "climbs out of the wiki with `..`"
    if re.match(r"^[a-z][a-z0-9+.-]*://", target, re.I):
        return "is a URL, not a page name (use a Markdown link)"
    return None


# --- citations ---------------------------------------------------------------

_PARTICLE = r"(?:(?:van|von|de|der|den|di|du|da|del|della|le|la|ten|ter|dos)\s+)"
_SURNAME = (rf"{_PARTICLE}*[A-Z\u00C0-\u00D6\u00D8-\u00DE][\w'\u2019]*"
            rf"(?:-[A-Za-z\u00C0-\u00FF][\w'\u2019]*)*")
_AUTHORS = (rf"(?P<authors>{_SURNAME}(?:,\s*{_SURNAME})*(?:,?\s+(?:&|and)\s+{_SURNAME})?)"
            rf"(?P<etal>\s+et\s+al\.?)?")
_YEAR = r"(?P<year>(?:1[5-9]|20)\d\d)(?P<suffix>[a-z])?(?![\w])"

# One part of a parenthetical citation: "see Hubinger et al. 2019, §4"; the names may follow
# other words ("in Claude 3 Sonnet, Templeton et al. 2024"), which _trim_names drops.
AUTHOR_YEAR = re.compile(
    rf"(?:^|(?<=[\s,;]))(?P<all>{_AUTHORS},?\s+{_YEAR}(?:(?:\s*,\s*|\s+)(?P<locator>\S.*?))?)\s*$")
# Narrative: "Hubinger et al. (2019, §4)". Matching names at every capital letter is slow, so
# the year in brackets is found first and the names are matched in the text just before it.
NARRATIVE_YEAR = re.compile(rf"\({_YEAR}(?:\s*,\s*(?P<locator>[^()\n]*?))?\)")
NARRATIVE_NAMES = re.compile(rf"(?<![\w.@]){_AUTHORS}\s+\Z")
# Every bracketed run of text: parenthetical citations, and the years of narrative ones. A literal
# first character lets the regex engine skip ahead; the character before is checked by hand.
PARENTHETICAL = re.compile(r"\((?P<body>[^()\n]{2,})\)")
PARENTHETICAL_MAX = 300  # longer bracketed text is prose, not a citation
PANDOC = re.compile(r"\[(?P<body>-?@[^\[\]\n]+)\]")
PANDOC_ITEM = re.compile(r"^\s*-?@(?P<key>[\w][\w:.#$%&+?<>~/-]*?)[.:]?(?:\s*,\s*(?P<locator>.*?))?\s*$")
SURNAME_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*")
AND_WORD = re.compile(r"\band\b")


@record
class RawCitation:
    offset: int
    text: str
    form: str
    surnames: tuple[str, ...] = ()
    et_al: bool = False
    year: int | None = None
    year_suffix: str = ""
    key: str | None = None
    locator: str | None = None


def find_citations(masked: str) -> Iterator[RawCitation]:
    """Every citation in the masked text, in order of appearance."""
    found: list[RawCitation] = []
    for m in PANDOC.finditer(masked) if "@" in masked else ():  # a scan for `@` costs a fifth of the regex's
        offset = m.start("body")
        for part in m.group("body").split(";"):
            item = PANDOC_ITEM.match(part)
            if item:
                found.append(RawCitation(offset + part.index("@"), part.strip(), "key",
                                         key=item.group("key"), locator=item.group("locator") or None))
            offset += len(part) + 1
    for m in PARENTHETICAL.finditer(masked):
        before = masked[m.start() - 1] if m.start() else " "
        if before.isspace() and m.group("body")[:1].isdigit():
            year = NARRATIVE_YEAR.fullmatch(masked, m.start(), m.end())
            if year:  # "(2019)": a narrative citation when names come just before
                window_start = max(masked.rfind("\n", 0, year.start()) + 1, year.start() - 160)
                names = NARRATIVE_NAMES.search(masked, window_start, year.start())
                if names:
                    found.append(_author_year(names, year, names.start(), masked[names.start():year.end()],
                                              "narrative"))
                    continue
        if before == "]" or before.isalnum() or before == "_" or len(m.group("body")) > PARENTHETICAL_MAX:
            continue  # a Markdown link's `(url)`, a call like `f(x)`, or a long aside
        offset = m.start("body")
        for part in m.group("body").split(";"):
            stripped = part.strip()
            start = offset + (len(part) - len(part.lstrip()))
            offset += len(part) + 1
            ay = AUTHOR_YEAR.search(part)
            if ay:
                found.append(_author_year(ay, ay, start + ay.start("all") - (len(part) - len(part.lstrip())),
                                          ay.group("all").strip(), "parenthetical"))
            elif stripped and len(stripped) <= 80 and "://" not in stripped and not stripped.startswith("@"):
                found.append(RawCitation(start, stripped, "label"))
    found.sort(key=lambda c: c.offset)
    return iter(found)


def _trim_names(authors: str, et_al: bool) -> tuple[int, tuple[str, ...]]:
    """(offset of the first real name in `authors`, surnames). A comma list is a list of authors only
    when it ends in `&`/`and` and has no `et al.`; otherwise only the last name is an author
    ("Claude 3 Sonnet, Templeton et al." -> Templeton)."""
    if "," not in authors and "&" not in authors and "and" not in authors:
        return 0, (authors.strip(),)  # one name: most citations, and a split costs ten times this
    surnames = tuple(s for s in SURNAME_SPLIT.split(authors.strip()) if s)
    listed = ("&" in authors or AND_WORD.search(authors)) and not et_al
    if len(surnames) > 1 and not listed:
        last = surnames[-1]
        return authors.rfind(last), (last,)
    return 0, surnames


def _author_year(names: re.Match, year: re.Match, offset: int, text: str, form: str) -> RawCitation:
    """The citation whose names `names` matched and whose year `year` did (the same match in a
    parenthetical citation)."""
    authors, et_al = names.group("authors", "etal")
    shift, surnames = _trim_names(authors, et_al is not None)
    number, suffix, locator = year.group("year", "suffix", "locator")
    return RawCitation(offset + shift, text[shift:], form, surnames, et_al is not None, int(number),
                       suffix or "", None, (locator or "").strip() or None)


# --- headings ----------------------------------------------------------------

LINK_BULLET = re.compile(r"^ ?[-*+][ \t]+(?=!?\[\[)", re.M)
LINK_BULLET_PREFIX = re.compile(r" ?[-*+][ \t]+")  # what comes before a bullet's first link on its line
LINK_BULLET_LINE = re.compile(r"^ ?[-*+][ \t]+!?\[\[.*$", re.M)
DESCRIPTION_SEPARATOR = re.compile(r"^\s*(?:\u2014|\u2013|--|-|:)\s*")
_INLINE_MARKUP = re.compile(r"[*_`]|!?\[\[(?:[^\]|]*\|)?([^\]]*)\]\]|\[([^\]]*)\]\([^)]*\)")


@functools.lru_cache(maxsize=1 << 14)  # most pages share most headings ("Definition", "Related concepts")
def heading_text(raw: str) -> str:
    """A heading's visible text: wikilinks by their label, emphasis and code marks dropped."""
    return _INLINE_MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", raw).strip()


@functools.lru_cache(maxsize=1 << 14)
def anchor_id(text: str) -> str:
    """The id Python-Markdown's toc extension gives a heading with this text."""
    return _toc_slugify(text, "-")


# Matched at a line start that a `#` follows after at most three spaces (see find_headings).
HEADING_AT = re.compile(r" {0,3}(?P<hashes>#{1,6})[ \t]+(?P<rest>[^\n]*)")


def find_headings(masked: str, original: str | None = None) -> Iterator[tuple[int, int, str, int]]:
    """(offset, level, visible text, end offset) of each ATX heading.

    Headings are found in the masked text (so none is found inside code), but their text is
    read from `original` when given, so inline code in a heading keeps its words. Only the
    lines a `#` opens are tried: a regex anchored at every line start costs five times more."""
    pos = masked.find("#")
    while pos >= 0:
        start = masked.rfind("\n", 0, pos) + 1
        m = HEADING_AT.match(masked, start) if pos - start <= 3 else None
        if m:
            text_start = m.start("rest")
            text = _heading_text_of(m.group("rest"))
            raw = text if original is None else original[text_start:text_start + len(text)]
            yield start, len(m.group("hashes")), heading_text(raw), m.end()
            pos = m.end()
        else:
            pos = masked.find("\n", pos)  # one try a line: a heading's `#` comes first
            if pos < 0:
                break
        pos = masked.find("#", pos)


def _heading_text_of(rest: str) -> str:
    """The heading's text in what follows `## `: without trailing blanks, nor a closing run of
    `#` after a blank (`## Title ##`), as CommonMark reads it. (A lazy regex group ending in
    that optional run tries to end at every character: ten times the cost.)"""
    text = rest.rstrip(" \t")
    if text.endswith("#"):
        before = text.rstrip("#")
        if before and before[-1] in " \t":
            return before.rstrip(" \t")
    return text


@functools.lru_cache(maxsize=1 << 16)
def normalise_name(name: str) -> str:
    """How names are compared: case-insensitive, `-`, `_` and spaces alike (as Obsidian does):
    each run of them one space, none at the ends. (str.split's whitespace is the regex's `\s`.)"""
    return " ".join(name.casefold().replace("_", " ").replace("-", " ").split())


_NOT_SLUG = re.compile(r"[^\w.-]+")
_DASHES = re.compile(r"-{2,}")


def slugify_stem(stem: str) -> str:
    """A file stem as a URL-safe slug: lower case, spaces and unsafe characters to `-`."""
    slug = _DASHES.sub("-", _NOT_SLUG.sub("-", stem.casefold())).strip("-.")
    return slug or "page"
