"""The pipeline: check() = read -> parse -> graph -> validate; build() adds render and write."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kgwiki.config import Config, load_config
from kgwiki.graph import Wiki, build_wiki
from kgwiki.model import Diagnostic
from kgwiki.parse import parse_page
from kgwiki.read import read_wiki
from kgwiki.validate import validate


@dataclass
class CheckResult:
    config: Config
    wiki: Wiki
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def summary(self) -> dict[str, int]:
        return {
            "pages": len(self.wiki.pages),
            "links": sum(1 for r in self.wiki.links if not r.self_anchor),
            "citations": len(self.wiki.citations),
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "infos": self.count("info"),
        }


@contextmanager
def _timed(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start


def check(root: Path, config: Config | None = None) -> CheckResult:
    """Read, parse, resolve and validate the wiki at `root`. Raises ConfigError for a bad wiki.toml."""
    timings: dict[str, float] = {}
    config = config or load_config(root)
    with _timed(timings, "read"):
        read = read_wiki(config)
    with _timed(timings, "parse"):
        parsed = [parse_page(source, config) for source in read.files]
    with _timed(timings, "graph"):
        wiki = build_wiki([r.page for r in parsed if r.page], config)
    with _timed(timings, "validate"):
        upstream = [*read.diagnostics, *(d for r in parsed for d in r.diagnostics)]
        diagnostics = validate(wiki, upstream)
    return CheckResult(config, wiki, diagnostics, timings)
