"""wiki.toml -> Config: the wiki's schema (page types, link types, severities) and settings.

Read once with tomllib and passed down; no stage reads globals. Mistakes are
raised as ConfigError naming the offending key, which the CLI turns into exit 2.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from kgwiki.model import SEVERITIES

CONFIG_NAME = "wiki.toml"

# Diagnostic codes and their default severities (docs/diagnostics.md documents each).
DEFAULT_SEVERITY: Mapping[str, str] = {
    "broken-link": "error",
    "malformed-link": "error",
    "wrong-link-type": "error",
    "duplicate-slug": "error",
    "alias-conflict": "error",
    "bad-front-matter": "error",
    "missing-title": "error",
    "unknown-type": "error",
    "unreadable-file": "error",
    "empty-page": "warning",
    "unresolved-citation": "error",
    "ambiguous-citation": "error",
    "citation-year-mismatch": "warning",
    "asymmetric-link": "warning",
    "missing-field": "error",
    "missing-section": "error",
    "link-cycle": "error",
    "broken-anchor": "error",
    "stale-sources-cited": "warning",
    "orphan-page": "warning",
    "uncited-source": "warning",
    "self-link": "warning",
    "duplicate-link": "warning",
    "unlinked-mention": "info",
    "suggested-link": "info",
}

BUILTIN_LINKS = ("cites", "mentions")


class ConfigError(Exception):
    """A mistake in wiki.toml; `key` names where it is (e.g. `links.related.to`)."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{CONFIG_NAME}: {key}: {message}" if key else f"{CONFIG_NAME}: {message}")
        self.key = key


@dataclass(frozen=True)
class PageType:
    name: str
    folder: str | None = None
    required: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkType:
    name: str
    section: str | None = None
    field: str | None = None
    from_types: tuple[str, ...] | None = None  # None: any page type
    to_types: tuple[str, ...] | None = None
    symmetric: bool = False
    acyclic: bool = False
    inverse: str | None = None

    @property
    def inverse_label(self) -> str:
        """What a backlink panel calls this link seen from its target."""
        if self.inverse:
            return self.inverse
        if self.symmetric:
            return self.section or self.name
        return f"{self.name} (inverse)"


@dataclass(frozen=True)
class Config:
    root: Path
    title: str = "Wiki"
    description: str = ""
    base_url: str | None = None
    site_dir: str = "site"
    build_dir: str = "build"
    content: tuple[str, ...] = ()  # folders holding pages; () means the whole root
    ignore: tuple[str, ...] = ()  # glob patterns relative to the root
    allow_raw_html: bool = False
    theme_dir: str | None = None
    types: Mapping[str, PageType] = field(default_factory=dict)
    links: Mapping[str, LinkType] = field(default_factory=dict)
    severity: Mapping[str, str] = field(default_factory=dict)
    has_schema: bool = False  # False: a plain folder of Markdown (Obsidian rules)
    default_type: str = "page"

    def severity_of(self, code: str) -> str:
        return self.severity.get(code) or DEFAULT_SEVERITY.get(code, "error")

    def section_links(self) -> dict[str, str]:
        """Lower-cased section heading -> link type name."""
        return self._section_links

    def field_links(self) -> dict[str, str]:
        """Front-matter field -> link type name, in order of field name."""
        return self._field_links

    # Asked once a page: worked out once (a frozen dataclass still has a __dict__ to cache in).
    @cached_property
    def _section_links(self) -> dict[str, str]:
        return {lt.section.casefold(): lt.name for lt in self.links.values() if lt.section}

    @cached_property
    def _field_links(self) -> dict[str, str]:
        return dict(sorted((lt.field, lt.name) for lt in self.links.values() if lt.field))

    def type_for_folder(self, path: str) -> str:
        """The page type whose folder most specifically contains `path`."""
        best, best_len = self.default_type, -1
        for pt in self.types.values():
            if pt.folder is None:
                continue
            prefix = pt.folder.strip("/") + "/"
            if path.startswith(prefix) and len(prefix) > best_len:
                best, best_len = pt.name, len(prefix)
        return best


_WIKI_KEYS = {"title", "description", "base_url", "site", "build", "content", "ignore",
              "allow_raw_html", "theme", "default_type"}
_TYPE_KEYS = {"folder", "required", "sections"}
_LINK_KEYS = {"section", "field", "from", "to", "symmetric", "acyclic", "inverse"}
_TOP_KEYS = {"wiki", "types", "links", "severity"}


def find_root(start: Path) -> Path | None:
    """The nearest folder upwards from `start` holding a wiki.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def load_config(root: Path) -> Config:
    """Read root/wiki.toml, or the schema-less defaults when there is none."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return default_config(root)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("", f"cannot read: {exc}") from None
    return parse_config(root, data)


def default_config(root: Path) -> Config:
    """No wiki.toml: every .md below root is a page with untyped links (Obsidian vaults, Quartz content)."""
    types = {name: PageType(name) for name in ("page", "source")}
    links = {name: LinkType(name, inverse=inv) for name, inv in
             (("cites", "cited by"), ("mentions", "mentioned by"))}
    return Config(root=root, title=root.resolve().name or "Wiki", types=types, links=links,
                  severity={"duplicate-slug": "info", "orphan-page": "info"})


def parse_config(root: Path, data: Mapping[str, Any]) -> Config:
    _no_unknown_keys(data, _TOP_KEYS, "")
    wiki = _table(data, "wiki")
    _no_unknown_keys(wiki, _WIKI_KEYS, "wiki")
    types = {name: _page_type(name, spec) for name, spec in _table(data, "types").items()}
    if not types:
        types = {"page": PageType("page")}
    links = {name: _link_type(name, spec, types) for name, spec in _table(data, "links").items()}
    for name in BUILTIN_LINKS:
        links.setdefault(name, LinkType(name, to_types=("source",) if name == "cites" and "source" in types else None,
                                        inverse="cited by" if name == "cites" else "mentioned by"))
    _check_unique(links, "section", lambda lt: lt.section.casefold() if lt.section else None)
    _check_unique(links, "field", lambda lt: lt.field)
    severity = _severity(_table(data, "severity"))
    default_type = _str(wiki, "default_type", "wiki", None) or next(iter(types))
    if default_type not in types:
        raise ConfigError("wiki.default_type", f"names undeclared page type {default_type!r}")
    return Config(
        root=root,
        title=_str(wiki, "title", "wiki", "Wiki"),
        description=_str(wiki, "description", "wiki", ""),
        base_url=_str(wiki, "base_url", "wiki", None),
        site_dir=_relative_dir(_str(wiki, "site", "wiki", "site"), "wiki.site"),
        build_dir=_relative_dir(_str(wiki, "build", "wiki", "build"), "wiki.build"),
        content=tuple(_relative_dir(c, "wiki.content") for c in _str_list(wiki, "content", "wiki")) or
        _content_from_types(types),
        ignore=_str_list(wiki, "ignore", "wiki"),
        allow_raw_html=_bool(wiki, "allow_raw_html", "wiki"),
        theme_dir=_str(wiki, "theme", "wiki", None),
        types=types,
        links=links,
        severity=severity,
        has_schema=True,
        default_type=default_type,
    )


def _content_from_types(types: Mapping[str, PageType]) -> tuple[str, ...]:
    folders = sorted({pt.folder.strip("/") for pt in types.values() if pt.folder})
    # Drop folders nested in another listed folder: the walk covers them.
    return tuple(f for f in folders if not any(f.startswith(o + "/") for o in folders if o != f))


def _page_type(name: str, spec: Any) -> PageType:
    key = f"types.{name}"
    if not isinstance(spec, dict):
        raise ConfigError(key, "must be a table")
    _no_unknown_keys(spec, _TYPE_KEYS, key)
    folder = _str(spec, "folder", key, None)
    return PageType(
        name=name,
        folder=_relative_dir(folder, f"{key}.folder") if folder else None,
        required=_str_list(spec, "required", key),
        sections=_str_list(spec, "sections", key),
    )


def _link_type(name: str, spec: Any, types: Mapping[str, PageType]) -> LinkType:
    key = f"links.{name}"
    if not isinstance(spec, dict):
        raise ConfigError(key, "must be a table")
    _no_unknown_keys(spec, _LINK_KEYS, key)
    ends = {}
    for end in ("from", "to"):
        names = _str_list(spec, end, key) if end in spec else None
        for type_name in names or ():
            if type_name not in types:
                raise ConfigError(f"{key}.{end}", f"names undeclared page type {type_name!r} "
                                                  f"(declared: {', '.join(sorted(types))})")
        ends[end] = names
    return LinkType(
        name=name,
        section=_str(spec, "section", key, None),
        field=_str(spec, "field", key, None),
        from_types=ends["from"],
        to_types=ends["to"],
        symmetric=_bool(spec, "symmetric", key),
        acyclic=_bool(spec, "acyclic", key),
        inverse=_str(spec, "inverse", key, None),
    )


def _severity(table: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for code, level in table.items():
        if code not in DEFAULT_SEVERITY:
            raise ConfigError(f"severity.{code}", "unknown diagnostic code")
        if level not in SEVERITIES:
            raise ConfigError(f"severity.{code}", f"unknown severity {level!r} (use one of {', '.join(SEVERITIES)})")
        out[code] = level
    return out


def _check_unique(links: Mapping[str, LinkType], attr: str, value) -> None:
    seen: dict[str, str] = {}
    for lt in links.values():
        v = value(lt)
        if v is None:
            continue
        if v in seen:
            raise ConfigError(f"links.{lt.name}.{attr}", f"{attr} {v!r} is already used by links.{seen[v]}")
        seen[v] = lt.name


def _no_unknown_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise ConfigError(name, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(key, "must be a table")
    return value


def _str(table: Mapping[str, Any], key: str, where: str, default):
    value = table.get(key, default)
    if value is not default and not isinstance(value, str):
        raise ConfigError(f"{where}.{key}", "must be a string")
    return value


def _bool(table: Mapping[str, Any], key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}", "must be true or false")
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}", "must be a list of strings")
    return tuple(value)


def _relative_dir(value: str, key: str) -> str:
    """A folder inside the wiki root: never absolute, never climbing out with `..`."""
    p = Path(value)
    if p.is_absolute() or ".." in p.parts or not value.strip():
        raise ConfigError(key, f"{value!r} must be a folder inside the wiki root")
    return p.as_posix().strip("/")
