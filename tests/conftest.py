import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed, so a run is reproducible; elsewhere every run
# explores new examples.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files under tests/golden/ from the current output")

FIXTURES = Path(__file__).parent / "fixtures"


def write_wiki(root: Path, files: dict[str, str | bytes]) -> Path:
    """Lay out a tiny wiki: {relative path: text or bytes}."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_wiki(tmp_path):
    def make(files: dict[str, str | bytes]) -> Path:
        return write_wiki(tmp_path, files)
    return make


@pytest.fixture
def fixture_copy(tmp_path):
    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest)
        return dest
    return copy


SCHEMA = """
[wiki]
title = "Test"
[types.concept]
folder = "concepts"
required = ["summary"]
[types.agenda]
folder = "concepts/agendas"
[types.source]
folder = "sources"
required = ["authors", "year"]
[links.related]
section = "Related concepts"
field = "related"
from = ["concept"]
to = ["concept"]
symmetric = true
[links.requires]
field = "requires"
to = ["concept"]
acyclic = true
[links.agenda]
section = "Related agendas"
to = ["agenda"]
[links.cites]
to = ["source"]
[links.mentions]
"""
