"""Files -> SourceFile: find the content files and decode them, never raising on bad input.

A file that cannot be a page (not UTF-8, binary, too large, unreadable, a
symlink loop) becomes an `unreadable-file` diagnostic; the rest are read.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kgwiki.config import Config
from kgwiki.model import Diagnostic, Location, SourceFile

MAX_BYTES = 5 * 1024 * 1024
Stamp = tuple[int, int, int]  # (size, mtime in ns, inode): what stat says of a file, for the page cache
SKIP_DIRS = {".git", ".hg", ".svn", ".obsidian", ".trash", ".venv", "venv", "node_modules",
             "__pycache__", ".pytest_cache", ".foam", ".vscode", ".github"}


@dataclass(frozen=True)
class ReadResult:
    files: tuple[SourceFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    attachments: tuple[str, ...] = ()  # other files in the content folders (images, PDFs …)


@dataclass(frozen=True)
class FoundFiles:
    pages: tuple[tuple[str, str, Stamp], ...]  # (relative path, absolute path, stamp) of each Markdown file
    diagnostics: tuple[Diagnostic, ...]  # folders and files that cannot be read
    attachments: tuple[str, ...]


def read_wiki(config: Config) -> ReadResult:
    """Every Markdown file of the wiki, decoded, in path order."""
    found = find_files(config)
    files, diagnostics = [], list(found.diagnostics)
    for rel, abspath, _ in found.pages:
        source, problem = read_file(abspath, rel)
        if problem:
            diagnostics.append(unreadable(config, rel, problem))
        else:
            files.append(source)
    return ReadResult(tuple(files), tuple(diagnostics), found.attachments)


def find_files(config: Config) -> FoundFiles:
    """The wiki's Markdown files and attachments, without reading them."""
    pages, diagnostics = [], []
    for rel, abspath, problem, stamp in find_markdown(config):
        if problem:
            diagnostics.append(unreadable(config, rel, problem))
        else:
            pages.append((rel, abspath, stamp))
    pages.sort()
    return FoundFiles(tuple(pages), tuple(diagnostics), tuple(find_attachments(config)))


def find_attachments(config: Config) -> list[str]:
    """Relative paths of the files beside the pages that are not pages: what `![[x.png]]` names."""
    found = []
    for top in config.content or ("",):
        start = config.root / top if top else config.root
        if not start.is_dir():
            continue
        for folder, dirs, names in os.walk(start):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS
                             and not (Path(folder) == config.root and d in (config.site_dir, config.build_dir)))
            for name in sorted(names):
                if not name.startswith(".") and not name.lower().endswith(".md"):
                    found.append(_rel(config.root, Path(folder) / name))
    return found


def find_markdown(config: Config):
    """Yield (relative path, absolute path, problem or None, stamp or None) for each .md file in the
    content folders."""
    root = config.root
    excluded = {config.site_dir, config.build_dir}
    tops = config.content or ("",)
    seen_dirs: set[tuple[int, int]] = set()
    for top in tops:
        start = root / top if top else root
        if not start.is_dir():
            continue
        yield from _walk(str(start), _rel(root, start) if top else "", excluded, config.ignore, seen_dirs)


def _walk(folder: str, rel_folder: str, excluded: set[str], ignore: tuple[str, ...], seen_dirs):
    """Paths as strings: pathlib costs ~25 µs a file here."""
    shown = rel_folder or "."
    try:
        st = os.stat(folder)
    except OSError as exc:
        yield shown, folder, f"cannot open folder: {exc.strerror or exc}", None
        return
    ident = (st.st_dev, st.st_ino)
    if ident in seen_dirs:
        if os.path.islink(folder):
            yield shown, folder, "symlink loop: this folder is already part of the wiki", None
        return
    seen_dirs.add(ident)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield shown, folder, f"cannot list folder: {exc.strerror or exc}", None
        return
    for entry in entries:
        rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
        if entry.name.startswith(".") or (ignore and _ignored(rel, ignore)):
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks
        except OSError:
            is_dir = False
        if is_dir:
            if entry.name in SKIP_DIRS or (not rel_folder and entry.name in excluded):
                continue
            yield from _walk(entry.path, rel, excluded, ignore, seen_dirs)
        elif entry.name.lower().endswith(".md"):
            try:
                yield rel, entry.path, None, stamp_of(entry.stat())  # follows symlinks
            except OSError as exc:
                yield rel, entry.path, ("broken symlink or symlink loop" if entry.is_symlink()
                                        else f"cannot read: {exc.strerror or exc}"), None


def read_file(abspath: str | Path, rel: str) -> tuple[SourceFile | None, str | None]:
    """Decode one file: (SourceFile, None) or (None, why it cannot be read)."""
    try:
        fd = os.open(abspath, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        if st.st_size > MAX_BYTES:
            return None, f"file is {st.st_size / 1e6:.1f} MB, over the {MAX_BYTES // (1024 * 1024)} MB limit"
        data = read_to_end(fd, st.st_size, MAX_BYTES)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        return None, f"file is over the {MAX_BYTES // (1024 * 1024)} MB limit"
    if b"\x00" in data:
        return None, "binary file (contains NUL bytes)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"not UTF-8 (invalid byte 0x{data[exc.start]:02x} on line {line})"
    return SourceFile(rel, normalise_text(text)), None


def read_to_end(fd: int, size: int, limit: int | None = None) -> bytes:
    """An open file's bytes (at most limit + 1 of them): one read of the size stat gave, and one
    byte more, which shows a file still growing. Reading up to the limit at once would allocate
    it (5 MB) for every page."""
    data = os.read(fd, (size if limit is None else min(size, limit)) + 1)
    while len(data) > size and (limit is None or len(data) <= limit):
        more = os.read(fd, (1 << 16) if limit is None else limit + 1 - len(data))
        if not more:
            break
        data += more
    return data


def stamp_of(stat_result) -> Stamp:
    return (stat_result.st_size, stat_result.st_mtime_ns, stat_result.st_ino)


def normalise_text(text: str) -> str:
    """Drop a BOM and fold CRLF/CR to LF, so columns and lines mean the same everywhere."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def unreadable(config: Config, rel: str, problem: str) -> Diagnostic:
    return Diagnostic("unreadable-file", config.severity_of("unreadable-file"), Location(rel), problem)


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _ignored(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*") for p in patterns)
