"""The plain data passed between pipeline stages.

Every stage takes and returns these dataclasses, so any stage can be tested
alone. Nothing here does I/O. None is ever changed after it is made.
"""

from __future__ import annotations

import operator
from itertools import starmap
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, NewType

Slug = NewType("Slug", str)

ERROR, WARNING, INFO, OFF = "error", "warning", "info", "off"
SEVERITIES = (ERROR, WARNING, INFO, OFF)


def record(cls):
    """A dataclass for the small values a wiki holds by the hundred thousand (links, citations,
    diagnostics …): slotted, compared and hashed by value, pickled as a plain tuple.

    Not `frozen`: a frozen dataclass sets each field through `object.__setattr__`, which makes
    it 3× slower to create and 2× slower to unpickle (~0.8 s at 10,000 pages). Never change one."""
    cls = dataclass(slots=True, unsafe_hash=True)(cls)
    cls.values = values = operator.attrgetter(*(f.name for f in fields(cls)))  # record -> tuple of its fields
    cls.__reduce__ = lambda self: (cls, values(self))
    return cls


@record
class Location:
    """A place in a file: path relative to the wiki root (with `/`), 1-based line and column."""

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


@record
class Diagnostic:
    code: str
    severity: str
    location: Location
    message: str
    hint: str | None = None

    @property
    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line or 0, loc.col or 0, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class SourceFile:
    """A content file as read from disk: decoded text with the BOM removed and CRLF folded."""

    path: str  # relative to the wiki root, with `/`
    text: str


@record
class Link:
    """A wikilink as written. `link_type` is set when the page types it (section, field or `type::`)."""

    target: str
    # where it is written; kept flat (see `location`) since a wiki holds ~10 links a page
    path: str
    line: int | None
    col: int | None
    label: str | None = None
    anchor: str | None = None
    link_type: str | None = None
    description: str | None = None
    embed: bool = False
    origin: str = "inline"  # inline | section | field

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.col)


@record
class Citation:
    """A citation as written: author-year, narrative, a pandoc `[@key]`, or a free label like `Atlas Ch.7`."""

    text: str
    path: str
    line: int | None
    col: int | None
    form: str  # parenthetical | narrative | key | label
    surnames: tuple[str, ...] = ()
    et_al: bool = False
    year: int | None = None
    year_suffix: str = ""
    key: str | None = None
    locator: str | None = None

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.col)

    @property
    def strong(self) -> bool:
        """A form that can only be a citation; a weak one (`(March 2019)`) might be plain prose."""
        return self.form == "key" or self.et_al or len(self.surnames) > 1


@record
class Heading:
    level: int
    text: str
    anchor: str
    line: int


@dataclass(frozen=True)
class Page:
    slug: Slug
    path: str
    title: str
    type: str
    meta: Mapping[str, Any]
    body: str
    body_line: int  # 1-based line of the file where `body` starts
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""
    headings: tuple[Heading, ...] = ()
    links: tuple[Link, ...] = ()
    citations: tuple[Citation, ...] = ()
    ignore: frozenset[str] = frozenset()
    title_from_meta: bool = True
    field_lines: Mapping[str, int] = field(default_factory=dict)  # front-matter field -> file line

    def __hash__(self) -> int:
        return hash(self.path)

    @classmethod
    def of(cls, **fields) -> "Page":
        """Page(**fields), every field given, without the frozen dataclass's __init__: it sets each
        of the sixteen fields through object.__setattr__, which is most of the cost of making a
        page (once in a parse worker and again when the page is unpickled)."""
        page = object.__new__(cls)
        page.__dict__.update(fields)
        return page

    def __reduce__(self):
        # Pickled (to and from the parse workers, and in the page cache) as one tuple of plain
        # values, its headings, links and citations as tuples: half the cost of pickling each
        # record on its own.
        return (_unpickle_page, (
            self.slug, self.path, self.title, self.type, self.meta, self.body, self.body_line,
            self.aliases, self.tags, self.summary,
            tuple(map(Heading.values, self.headings)),
            tuple(map(Link.values, self.links)),
            tuple(map(Citation.values, self.citations)),
            self.ignore, self.title_from_meta, self.field_lines))


def _unpickle_page(slug, path, title, type, meta, body, body_line, aliases, tags, summary,
                   headings, links, citations, ignore, title_from_meta, field_lines) -> Page:
    return Page.of(slug=slug, path=path, title=title, type=type, meta=meta, body=body, body_line=body_line,
                   aliases=aliases, tags=tags, summary=summary, headings=tuple(starmap(Heading, headings)),
                   links=tuple(starmap(Link, links)), citations=tuple(starmap(Citation, citations)),
                   ignore=ignore, title_from_meta=title_from_meta, field_lines=field_lines)


@dataclass(frozen=True)
class ParseResult:
    page: Page | None
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    def __reduce__(self):
        return (ParseResult, (self.page, self.diagnostics))
