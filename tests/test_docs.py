"""The docs are checked: every diagnostic code, command and option is documented."""

import argparse
from pathlib import Path

import pytest

from kgwiki.cli import build_parser
from kgwiki.config import DEFAULT_SEVERITY

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = Path(__file__).resolve().parent.parent / "README.md"


def commands(parser: argparse.ArgumentParser, prefix=()):
    """Every (command path, parser) pair, sub-commands included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from commands(sub, (*prefix, name))


@pytest.mark.parametrize("code", sorted(DEFAULT_SEVERITY))
def test_every_diagnostic_code_is_documented(code):
    assert f"`{code}`" in (DOCS / "diagnostics.md").read_text()


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in commands(build_parser())])
def test_every_command_is_documented(path):
    text = (DOCS / "cli.md").read_text()
    assert f"kgwiki {path}" in text or all(word in text for word in path.split()), path
    assert f"kgwiki {path.split()[0]}" in README.read_text()


def test_every_option_is_documented():
    text = (DOCS / "cli.md").read_text()
    missing = []
    for path, sub in commands(build_parser()):
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and option not in text:
                    missing.append(f"{' '.join(path)} {option}")
    assert missing == []
