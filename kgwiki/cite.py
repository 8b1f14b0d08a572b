"""The citation backfill: rewrite each page's generated "Sources cited" block from its prose.

The only code that edits content files. It touches nothing but the text between
the `kgwiki:sources-cited` markers (or appends a new section when a page citing
sources has none); every other byte -- BOM, line endings, a missing final
newline, front matter -- stays as it was. Writes are atomic and refuse a file
that changed on disk since it was read.
"""

from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from kgwiki import sources_cited, syntax
from kgwiki.graph import Wiki
from kgwiki.model import Location
from kgwiki.read import read_to_end
from kgwiki.write import atomic_write

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Edit:
    """A page's new text in pieces: most plans are only asked whether they are stale (`--check`),
    so the new bytes, and for a page without a block even its entries, are made only when asked for."""

    bom: bytes
    text: str
    newline: str
    span: sources_cited.Span | None  # None: a new section is appended
    block: str | None  # what goes between the markers; None: not worked out yet
    wiki: Wiki = field(repr=False, compare=False)
    slug: str = ""

    def updated(self) -> bytes:
        block = self.block
        if block is None:
            block = sources_cited.render_block(sources_cited.entries(self.wiki, self.slug), self.newline)
        if self.span is not None:
            new_text = self.text[:self.span.start] + block + self.text[self.span.end:]
        else:
            new_text = self.text + _new_section(self.text, block, self.newline)
        return self.bom + new_text.encode("utf-8")


@dataclass(frozen=True)
class Plan:
    """What the backfill would do to one page."""

    path: str  # relative to the wiki root
    root: Path
    original: bytes
    edit: Edit | None = None  # None: nothing to change
    problem: str | None = None  # e.g. broken markers: the page is left alone
    location: Location | None = None
    stale_unread: bool = False  # stale, found without reading the file (check_only): no edit to apply

    @property
    def abspath(self) -> Path:
        return self.root / self.path

    @property
    def stale(self) -> bool:
        return self.edit is not None or self.stale_unread  # an edit is only planned when it changes the bytes

    @functools.cached_property
    def updated(self) -> bytes | None:
        return self.edit.updated() if self.edit is not None else None

    def diff(self) -> str:
        if self.edit is None:
            return ""
        old = _decode(self.original)[1].splitlines(keepends=True)
        new = _decode(self.updated)[1].splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{self.path}", f"b/{self.path}"))


@dataclass(frozen=True)
class Outcome:
    path: str
    written: bool
    problem: str | None = None


def plan(wiki: Wiki, slugs: list[str] | None = None, check_only: bool = False) -> list[Plan]:
    """A plan for each page (all pages, or `slugs`), reading the files as they are on disk now.

    `check_only` plans answer only whether each page is stale (`kgwiki cite --check`): a page
    whose body has no markers is stale exactly when it cites anything, so its file is not read
    again; such plans cannot be applied or shown as a diff."""
    chosen = slugs if slugs is not None else sorted(wiki.pages, key=lambda s: wiki.pages[s].path)
    return [plan_page(wiki, slug, check_only) for slug in chosen]


def plan_page(wiki: Wiki, slug: str, check_only: bool = False) -> Plan:
    page, root = wiki.pages[slug], wiki.config.root
    if check_only and sources_cited.MARKER_NAME not in page.body:
        return Plan(page.path, root, b"", stale_unread=sources_cited.cites_any(wiki, slug))
    try:
        original = _read(os.path.join(root, page.path))
    except OSError as exc:
        return Plan(page.path, root, b"", problem=f"cannot read: {exc.strerror or exc}")
    try:
        bom, text = _decode(original)
    except UnicodeDecodeError:
        return Plan(page.path, root, original, problem="not UTF-8")
    try:
        span = sources_cited.find_block(text)
    except sources_cited.MarkerError as exc:
        return Plan(page.path, root, original, problem=str(exc),
                    location=sources_cited.stale_location(page.path, text, exc.offset))
    newline = "\n" if "\r" not in text else "\r\n" if "\r\n" in text else "\r" if "\n" not in text else "\n"
    if span is None:  # a section is added to a page that cites anything: its text can wait
        if not sources_cited.cites_any(wiki, slug):
            return Plan(page.path, root, original)
        return Plan(page.path, root, original, Edit(bom, text, newline, None, None, wiki, slug))
    # the new bytes differ from the old exactly when the text between the markers does: a string
    # comparison, nothing encoded
    block = sources_cited.render_block(sources_cited.entries(wiki, slug), newline)
    if text[span.start:span.end] == block:
        return Plan(page.path, root, original)
    return Plan(page.path, root, original, Edit(bom, text, newline, span, block, wiki, slug))


def _read(path: str) -> bytes:
    """A file's bytes; os.read costs a third of Path.read_bytes, which counts over 10,000 pages."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return read_to_end(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _new_section(text: str, block: str, nl: str) -> str:
    """A `## Sources cited` section to append: the existing text stays a byte-for-byte prefix."""
    lead = "" if not text else (nl if not text.endswith(("\n", "\r")) else "") + nl
    fence = syntax.unclosed_fence(text) if "```" in text or "~~~" in text else None  # no fence without these
    if fence:  # the page ends inside a code block: close it, or the section would be code
        lead = ("" if text.endswith(("\n", "\r")) else nl) + fence + nl + nl
    return f"{lead}{sources_cited.HEADING}{nl}{sources_cited.OPEN}{block}{sources_cited.CLOSE}{nl}"


def apply(plans: list[Plan]) -> list[Outcome]:
    """Write each stale page atomically, unless the file changed since it was planned."""
    outcomes = []
    for p in plans:
        if p.edit is None or p.problem:
            continue  # up to date, or a check_only plan: nothing to write
        try:
            current = p.abspath.read_bytes()
        except OSError as exc:
            outcomes.append(Outcome(p.path, False, f"cannot read: {exc.strerror or exc}"))
            continue
        if current != p.original:
            outcomes.append(Outcome(p.path, False, "changed on disk while the backfill ran; not overwritten "
                                                   "(run it again)"))
            continue
        mode = os.stat(p.abspath).st_mode & 0o7777
        atomic_write(p.abspath.resolve(), p.updated, mode)
        outcomes.append(Outcome(p.path, True))
    return outcomes


def _decode(data: bytes) -> tuple[bytes, str]:
    if data.startswith(BOM):
        return BOM, data[len(BOM):].decode("utf-8")
    return b"", data.decode("utf-8")
