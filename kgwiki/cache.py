"""build/cache/: parse results keyed by content, and the manifest of the last build.

Both are keyed by kgwiki's version and the wiki's settings; anything that does not
load cleanly, or was made by another version or configuration, is discarded and
rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kgwiki import __version__
from kgwiki.model import ParseResult, SourceFile
from kgwiki.read import Stamp
from kgwiki.write import atomic_write, claim_folder

FORMAT = 1  # bump when the cached data's shape changes


def content_key(source: SourceFile) -> str:
    return hashlib.sha1(source.path.encode() + b"\0" + source.text.encode("utf-8", "surrogatepass")).hexdigest()


def settings_key(config_bytes: bytes) -> str:
    """What makes cached results valid: kgwiki itself (version and code), the cache format, the settings."""
    return hashlib.sha256(f"{__version__}\0{FORMAT}\0{code_digest()}\0".encode() + config_bytes).hexdigest()


_CODE_DIGEST: list[str] = []


def code_digest() -> str:
    """A digest of kgwiki's own source: a changed generator never reuses what an older one made."""
    if not _CODE_DIGEST:
        digest = hashlib.sha256()
        for path in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _CODE_DIGEST.append(digest.hexdigest())
    return _CODE_DIGEST[0]


def inputs_key(settings: str, sources: list[SourceFile], unreadable: list[ParseResult]) -> str:
    """A digest of everything a build reads: settings, every page's content, every unreadable file."""
    digest = hashlib.sha256(settings.encode())
    for source in sorted(sources, key=lambda s: s.path):
        digest.update(content_key(source).encode())
    for result in unreadable:
        for d in result.diagnostics:
            digest.update(repr(d).encode())
    return digest.hexdigest()


@dataclass
class BuildCache:
    folder: Path
    settings: str
    parsed: dict[str, ParseResult] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    hits: int = 0
    _unloaded: bool = False  # a manifest that fits: the parse results are read on first use

    @classmethod
    def load(cls, folder: Path, settings: str) -> "BuildCache":
        """The manifest now; the parse results (the bulk) only when a page is looked up."""
        cache = cls(folder, settings)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except Exception:  # a corrupt or foreign cache is discarded, whatever is wrong with it
            return cache
        if isinstance(manifest, dict) and manifest.get("settings") == settings:
            cache.manifest = manifest
            cache._unloaded = True
        return cache

    def _load_parsed(self) -> None:
        self._unloaded = False
        try:
            with open(self.folder / "parsed.pickle", "rb") as fh:
                parsed = pickle.load(fh)
            if isinstance(parsed, dict) and all(isinstance(v, ParseResult) for v in parsed.values()):
                self.parsed = parsed
        except Exception:  # a corrupt cache is discarded, whatever is wrong with it
            self.parsed = {}

    def up_to_date(self, fingerprint: str, site_dir: Path) -> bool:
        """Nothing changed since the last build, and its site is still there as it was written."""
        if self.manifest.get("fingerprint") != fingerprint:
            return False
        try:
            return all((site_dir / path).stat().st_size == size for path, size in self.manifest["outputs"].items())
        except (OSError, KeyError, AttributeError, TypeError):
            return False

    def get(self, key: str) -> ParseResult | None:
        if self._unloaded:
            self._load_parsed()
        result = self.parsed.get(key)
        if result is not None:
            self.hits += 1
        return result

    def save(self, parsed: dict[str, ParseResult], manifest: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / "parsed.pickle", pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
        atomic_write(self.folder / "manifest.json",
                     json.dumps({**manifest, "settings": self.settings}, sort_keys=True).encode())


# --- the page cache: what `kgwiki check` reuses -----------------------------------------

RACY_NS = 2_000_000_000  # a file changed this close to the cache being written is not stored


@dataclass
class PageCache:
    """build/cache/pages.pickle: each page's ParseResult, keyed by its path and its stamp, so
    checking a wiki where little changed reads and parses only what did.

    Like git's index, it trusts a file whose size, modification time and inode are unchanged,
    and (for filesystems with coarse clocks) never stores a file modified within RACY_NS of the
    moment the cache is written: a later edit could keep the same time."""

    path: Path
    settings: str
    entries: dict[str, tuple[Stamp, ParseResult]] = field(default_factory=dict)
    hits: int = 0
    fresh: dict[str, tuple[Stamp, ParseResult]] = field(default_factory=dict)  # what it should hold now

    NAME = "pages.pickle"

    @classmethod
    def load(cls, folder: Path, settings: str) -> "PageCache":
        cache = cls(folder / cls.NAME, settings)
        try:
            with open(cache.path, "rb") as fh:
                stored_settings, entries = pickle.load(fh)
            if stored_settings == settings and isinstance(entries, dict):
                cache.entries = entries
        except Exception:  # missing, corrupt or foreign: start afresh, whatever is wrong with it
            pass
        return cache

    def get(self, rel: str, stamp: Stamp) -> ParseResult | None:
        entry = self.entries.get(rel)
        if entry is None or entry[0] != stamp or not isinstance(entry[1], ParseResult):
            return None
        self.hits += 1
        return entry[1]

    def save(self) -> Callable[[], None]:
        """Store `fresh` (less the racy ones) when it differs from what was loaded; never raises.

        Pickling 10,000 pages takes ~0.4 s, so where the system can fork, a child process writes
        the file while this one goes on resolving and validating. Returns the function that
        waits until the file is written (or given up on)."""
        now = time.time_ns()
        kept = {rel: entry for rel, entry in self.fresh.items() if entry[0][1] < now - RACY_NS}
        if kept.keys() == self.entries.keys() and self.hits == len(kept):
            return _nothing  # nothing new to remember
        if not hasattr(os, "fork"):
            self._write(kept)
            return _nothing
        pid = os.fork()
        if pid == 0:  # the child: write, then leave without running any of the parent's exit code
            try:
                self._write(kept)
            finally:
                os._exit(0)
        return lambda: os.waitpid(pid, 0) and None

    def _write(self, kept: dict[str, tuple[Stamp, ParseResult]]) -> None:
        try:
            if not claim_folder(self.path.parent.parent):
                return  # build/ holds someone else's files: leave it alone
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, pickle.dumps((self.settings, kept), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # a read-only checkout, a full disk: checked all the same, without a cache
            pass


def _nothing() -> None:
    pass
