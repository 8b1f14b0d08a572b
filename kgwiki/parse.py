"""SourceFile -> Page: front matter, headings, positioned links and citations.

Never raises on content: every problem becomes a Diagnostic and the page is
kept with whatever could be read, so the rest of the wiki still builds.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import PurePosixPath
from typing import Any

from kgwiki import syntax
from kgwiki.config import Config
from kgwiki.frontmatter import simple_yaml
from kgwiki.model import Citation, Diagnostic, Heading, Link, Location, Page, ParseResult, Slug, SourceFile

STRING_FIELDS = frozenset(("title", "summary", "description", "type", "url", "venue", "kind", "doi", "arxiv"))
STRING_LIST_FIELDS = frozenset(("aliases", "tags", "cite_as", "ignore", "authors"))
INT_FIELDS = frozenset(("year",))
INT_LIST_FIELDS = frozenset(("alt_years",))


def parse_page(source: SourceFile, config: Config) -> ParseResult:
    """Parse one file into a Page, with the diagnostics found on the way."""
    diagnostics: list[Diagnostic] = []

    def report(code: str, line: int | None, col: int | None, message: str, hint: str | None = None):
        diagnostics.append(Diagnostic(code, config.severity_of(code), Location(source.path, line, col),
                                      message, hint))

    split = syntax.split_front_matter(source.text)
    if split.unterminated:
        report("bad-front-matter", 1, 1, "front matter opened with `---` is never closed",
               "end the front matter with a line holding only `---`")
    meta, rows = _load_front_matter(split, report)
    meta = _check_field_types(meta, split, rows, config, report)

    masked = syntax.mask_code(split.body)  # code and comments blanked, offsets kept
    lines = syntax.LineIndex(split.body, split.body_line)
    found = list(syntax.find_headings(masked, split.body))
    headings = tuple(Heading(level, text, syntax.anchor_id(text), lines.position(offset)[0])
                     for offset, level, text, _ in found)
    links = _links(source.path, split, rows, masked, lines, found, meta, config, report)
    citations = tuple(_citations(source.path, masked, lines))

    stem = source.path.rpartition("/")[2]
    stem = stem[:stem.rindex(".")] if "." in stem[1:] and not stem.endswith(".") else stem  # PurePosixPath.stem
    title_from_meta = bool(meta.get("title"))
    title = meta.get("title") or _first_h1(headings) or stem
    page_type = meta.get("type") or config.type_for_folder(source.path)
    if not source.text or source.text.isspace():
        report("empty-page", 1, None, "the file is empty")
    page = Page.of(
        slug=Slug(syntax.slugify_stem(stem)),
        path=source.path,
        title=title,
        type=page_type,
        meta=meta,
        body=split.body,
        body_line=split.body_line,
        aliases=tuple(meta.get("aliases", ())),
        tags=tuple(t.lstrip("#") for t in meta.get("tags", ()) if t.lstrip("#")),
        summary=meta.get("summary") or meta.get("description") or "",
        headings=headings,
        links=links,
        citations=citations,
        ignore=frozenset(meta.get("ignore", ())),
        title_from_meta=title_from_meta,
        field_lines={name: split.fm_line + rows[name] for name in meta if name in rows},
    )
    return ParseResult(page, tuple(diagnostics))


# --- front matter --------------------------------------------------------------

def _load_front_matter(split: syntax.Split, report) -> tuple[dict[str, Any], dict[str, int]]:
    """The fields, and the 0-based line of each in the YAML text."""
    if split.front_matter is None:
        return {}, {}
    simple = simple_yaml(split.front_matter)
    if simple is not None:
        return simple
    return _load_yaml(split, report), syntax.field_lines(split.front_matter)


def _load_yaml(split: syntax.Split, report) -> dict[str, Any]:
    import yaml  # here: most front matter never needs it (simple_yaml), and it costs 15 ms to import

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~8x faster
    try:
        data = yaml.load(split.front_matter, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = split.fm_line, None
        if mark is not None:  # from the offset: PyYAML also breaks lines at U+0085, U+2028 and U+2029
            index = min(mark.index, len(split.front_matter))
            line = split.fm_line + split.front_matter.count("\n", 0, index)
            col = index - (split.front_matter.rfind("\n", 0, index) + 1) + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report("bad-front-matter", line, col, f"front matter is not valid YAML: {problem}",
               "quote values that contain `: `, `#` or start with a special character")
        return {}
    except RecursionError:
        report("bad-front-matter", split.fm_line, None, "front matter is nested too deeply")
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        report("bad-front-matter", split.fm_line, 1,
               f"front matter must be a mapping of fields, not {_kind(data)}")
        return {}
    return {str(k): v for k, v in data.items()}


def _check_field_types(meta: dict[str, Any], split: syntax.Split, rows: dict[str, int], config: Config,
                       report) -> dict[str, Any]:
    """Keep the fields of the right type; report and drop the rest."""
    clean = dict(meta)

    def bad(field: str, want: str, value: Any):
        line = rows.get(field)
        hint = None
        if isinstance(value, (bool, _dt.date, float)) or (want == "a string" and isinstance(value, int)):
            hint = f"YAML read this as {_kind(value)}" + (": put the value in quotes" if want == "a string" else "")
        report("bad-front-matter", None if line is None else split.fm_line + line, 1,
               f"field `{field}` must be {want}, not {_kind(value)}", hint)
        del clean[field]

    link_fields = config.field_links()
    for field, value in meta.items():  # the page's few fields, rather than every known one
        if field in STRING_FIELDS:
            if value is None:
                del clean[field]
            elif not isinstance(value, str):
                bad(field, "a string", value)
            else:
                clean[field] = value.strip()
        elif field in STRING_LIST_FIELDS or field in link_fields:
            if isinstance(value, str):
                clean[field] = [value]
            elif value is None:
                clean[field] = []
            elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                bad(field, "a list of strings", value)
        elif field in INT_FIELDS:
            if value is None:
                del clean[field]  # `year:` with nothing after it: not given yet
            elif isinstance(value, bool) or not isinstance(value, int):
                bad(field, "a whole number", value)
        elif field in INT_LIST_FIELDS:
            if value is None:
                del clean[field]
            elif isinstance(value, int) and not isinstance(value, bool):
                clean[field] = [value]
            elif not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in value):
                bad(field, "a list of whole numbers", value)
    return clean


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return "a date"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return "a list of numbers"
        return "a list of strings" if all(isinstance(v, str) for v in value) else "a list of mixed items"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# --- body ----------------------------------------------------------------------

def _first_h1(headings: tuple[Heading, ...]) -> str | None:
    return next((h.text for h in headings if h.level == 1 and h.text), None)


def _links(path, split, rows, masked, lines, headings, meta, config: Config, report) -> tuple[Link, ...]:
    raw_links, unclosed = syntax.scan_wikilinks(masked)
    for offset in unclosed:
        line, col = lines.position(offset)
        report("malformed-link", line, col, "`[[` is never closed with `]]` on the same line")
    typed = _typed_bullets(masked, headings, raw_links, config)
    links: list[Link] = []
    for raw in raw_links:
        line, col = lines.position(raw.offset)
        problem = syntax.target_problem(raw.target) if raw.target else (
            None if raw.anchor else "is empty")
        if raw.embed and syntax.is_url(raw.target):
            problem = None  # ![[https://…|alt]]: an external image, as Quartz allows
        if problem:
            report("malformed-link", line, col, f"link target {raw.target!r} {problem}")
            continue
        link_type, description, origin = raw.link_type, None, "inline"
        if raw.offset in typed and not link_type:
            link_type, description = typed[raw.offset]
            origin = "section"
        links.append(Link(raw.target.lstrip("/") if raw.target.startswith("/") else raw.target,
                          path, line, col, raw.label, raw.anchor, link_type, description,
                          raw.embed, origin))
    links.extend(_field_links(path, split, rows, meta, config, report))
    return tuple(links)


def _typed_bullets(masked: str, headings, raw_links, config: Config) -> dict[int, tuple[str, str | None]]:
    """Offsets of links that open a bullet under a typed section heading -> (link type, description)."""
    sections = config.section_links()
    if not sections or not raw_links:
        return {}
    typed: dict[int, tuple[str, str | None]] = {}
    for i, (_, _, text, end) in enumerate(headings):
        link_type = sections.get(text.casefold())
        if not link_type:
            continue
        stop = headings[i + 1][0] if i + 1 < len(headings) else len(masked)
        for link in raw_links:  # in order of offset
            if link.offset < end:
                continue
            if link.offset >= stop:
                break
            line_start = masked.rfind("\n", 0, link.offset) + 1
            if line_start < end or not syntax.LINK_BULLET_PREFIX.fullmatch(masked, line_start, link.offset):
                continue  # not the link that opens a bullet
            line_end = masked.find("\n", link.end)
            after = masked[link.end:line_end if line_end >= 0 else len(masked)]
            description = syntax.DESCRIPTION_SEPARATOR.sub("", after, count=1).strip() or None
            typed[link.offset] = (link_type, description)
    return typed


def _field_links(path, split: syntax.Split, rows, meta, config: Config, report):
    yaml_text = split.front_matter or ""
    for field, link_type in config.field_links().items():
        for value in meta.get(field, ()):
            target, anchor, label, _ = syntax.parse_link_inner(value.strip().removeprefix("[[").removesuffix("]]"))
            where = syntax.value_position(yaml_text, field, value, rows)
            line, col = (split.fm_line + where[0], where[1] + 1) if where else (1, None)
            problem = syntax.target_problem(target) if target else "is empty"
            if problem:
                report("malformed-link", line, col, f"`{field}` target {target!r} {problem}")
                continue
            yield Link(target, path, line, col, label, anchor, link_type, None, False, "field")


def _citations(path: str, masked: str, lines: syntax.LineIndex):
    for raw in syntax.find_citations(masked):
        line, col = lines.position(raw.offset)
        yield Citation(raw.text, path, line, col, raw.form, raw.surnames, raw.et_al,
                       raw.year, raw.year_suffix, raw.key, raw.locator)
