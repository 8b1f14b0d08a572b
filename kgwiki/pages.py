"""kgwiki new: a page with the fields and sections its type requires, never overwriting one."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import yaml

from kgwiki import sources_cited
from kgwiki.graph import Wiki

LIST_FIELDS = {"aliases", "tags", "authors", "cite_as", "alt_years", "ignore"}


def slug_for(title: str) -> str:
    """`Goal Misgeneralization (GMG)` -> `goal-misgeneralization-gmg`."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "page"


def page_text(wiki: Wiki, type_name: str, title: str) -> str:
    config = wiki.config
    page_type = config.types[type_name]
    meta: dict = {"title": title}
    if page_type.folder is None or type_name != config.type_for_folder(f"{page_type.folder}/x.md"):
        meta["type"] = type_name
    for name in page_type.required:
        meta.setdefault(name, [] if name in LIST_FIELDS or name in config.field_links() else None)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).replace(": null\n", ":\n")
    body = "".join(f"\n## {section}\n\n" for section in page_type.sections)
    if type_name != "source" and "source" in config.types:
        body += f"\n{sources_cited.HEADING}\n{sources_cited.OPEN}\n{sources_cited.CLOSE}\n"
    return f"---\n{front}---\n{body}"


def new_page(wiki: Wiki, type_name: str, title: str) -> tuple[str, str | None]:
    """(relative path, problem): the page is created, or nothing is and `problem` says why."""
    if not title.strip():
        return "", "the title is empty"
    slug = slug_for(title)
    existing = wiki.names.resolve(slug)
    if slug in wiki.pages or existing is not None:
        other = wiki.pages[existing or slug]
        return "", f"a page named {slug!r} already exists: {other.path}; not overwritten"
    folder = wiki.config.types[type_name].folder or ""
    path = wiki.config.root / folder / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: refuse atomically, even if the file appeared since the wiki was read
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return "", f"{path} already exists; not overwritten"
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(page_text(wiki, type_name, title))
    return Path(folder, f"{slug}.md").as_posix(), None
