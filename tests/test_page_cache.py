"""The page cache of `kgwiki check`: reused only for files stat says are unchanged, never trusted
when anything about it is off, and it never changes what check reports."""

import os
import subprocess
import sys
import time

from kgwiki.cache import RACY_NS, PageCache
from kgwiki.pipeline import check, load_wiki
from tests.conftest import SCHEMA

PAGES = {
    "wiki.toml": SCHEMA,
    "concepts/a.md": "---\ntitle: A\nsummary: s\n---\nSee [[b]] and [[missing]].\n",
    "concepts/b.md": "---\ntitle: B\nsummary: s\n---\nSee [[a]].\n",
    "concepts/c.md": "---\ntitle: C\nsummary: s\n---\nAlone (Nobody et al. 2020).\n",
}


def age(root, seconds=10):
    """Date every file back, as if written a while ago (files written just now are never cached)."""
    past = time.time() - seconds
    for path in root.rglob("*.md"):
        os.utime(path, (past, past))


def report(result):
    return sorted((d.code, str(d.location), d.message) for d in result.diagnostics)


def cached(root):
    return PageCache.load(root / "build" / "cache", "any").path.exists()


def test_an_unchanged_wiki_is_checked_from_the_cache(make_wiki, monkeypatch):
    root = make_wiki(PAGES)
    age(root)
    first = check(root, cache=True)
    assert cached(root)
    parsed = []
    monkeypatch.setattr("kgwiki.pipeline.parse_page", lambda source, config: parsed.append(source) or 1 / 0)
    second = check(root, cache=True)
    assert parsed == [] and report(second) == report(first)


def test_an_edited_page_is_parsed_again(make_wiki):
    root = make_wiki(PAGES)
    age(root)
    assert any(d.code == "broken-link" for d in check(root, cache=True).diagnostics)
    page = root / "concepts" / "a.md"
    page.write_text(PAGES["concepts/a.md"].replace("[[missing]]", "[[c]]"))
    age(root, 5)  # same size is not enough to fool it: the time differs too
    assert not any(d.code == "broken-link" for d in check(root, cache=True).diagnostics)
    assert report(check(root, cache=True)) == report(check(root))


def test_a_file_changed_just_now_is_not_stored(make_wiki):
    root = make_wiki(PAGES)  # every file written this instant
    check(root, cache=True)
    store = PageCache.load(root / "build" / "cache", _settings(root))
    assert store.entries == {}
    age(root, RACY_NS / 1e9 + 1)
    check(root, cache=True)
    assert set(PageCache.load(root / "build" / "cache", _settings(root)).entries) == {
        "concepts/a.md", "concepts/b.md", "concepts/c.md"}


def test_a_corrupt_or_foreign_cache_is_ignored(make_wiki):
    root = make_wiki(PAGES)
    age(root)
    expected = report(check(root))
    folder = root / "build" / "cache"
    folder.mkdir(parents=True)
    for junk in (b"", b"\x80\x04not a pickle", __import__("pickle").dumps(("other settings", {"x": 1}))):
        (folder / PageCache.NAME).write_bytes(junk)
        assert report(check(root, cache=True)) == expected


def test_a_changed_schema_drops_the_cache(make_wiki):
    root = make_wiki(PAGES)
    age(root)
    check(root, cache=True)
    (root / "wiki.toml").write_text(SCHEMA.replace('required = ["summary"]', 'required = ["summary", "tags"]', 1))
    assert any(d.code == "missing-field" for d in check(root, cache=True).diagnostics)


def test_a_folder_of_notes_without_wiki_toml_gets_no_build_folder(make_wiki):
    root = make_wiki({k: v for k, v in PAGES.items() if k != "wiki.toml"})
    age(root)
    check(root, cache=True)
    assert not (root / "build").exists()


def test_graph_queries_read_the_cache_but_never_write_it(make_wiki):
    root = make_wiki(PAGES)
    age(root)
    load_wiki(root, cache=True)
    assert not (root / "build").exists()
    check(root, cache=True)
    before = (root / "build" / "cache" / PageCache.NAME).read_bytes()
    (root / "concepts" / "d.md").write_text("---\ntitle: D\nsummary: s\n---\n")
    assert "d" in load_wiki(root, cache=True).pages
    assert (root / "build" / "cache" / PageCache.NAME).read_bytes() == before


def test_the_command_line_caches_unless_told_not_to(make_wiki):
    root = make_wiki(PAGES)
    age(root)
    run = [sys.executable, "-m", "kgwiki", "check", "--root", str(root), "--format", "json"]
    fresh = subprocess.run([*run, "--no-cache"], capture_output=True, text=True)
    assert not (root / "build").exists()
    first = subprocess.run(run, capture_output=True, text=True)
    second = subprocess.run(run, capture_output=True, text=True)
    assert (root / "build" / "cache" / PageCache.NAME).exists()
    assert fresh.stdout == first.stdout == second.stdout and fresh.returncode == second.returncode == 1


def _settings(root):
    from kgwiki.cache import settings_key

    return settings_key((root / "wiki.toml").read_bytes())


def test_a_build_after_a_check_may_use_the_build_folder(make_wiki):
    from kgwiki.pipeline import build

    root = make_wiki(PAGES)
    age(root)
    check(root, cache=True)
    assert cached(root)
    result = build(root)
    assert result.files and (root / "build" / "graph.json").is_file() and cached(root)


def test_a_build_folder_holding_other_files_is_left_alone(make_wiki):
    root = make_wiki({**PAGES, "build/notes.txt": "mine"})
    age(root)
    check(root, cache=True)
    assert sorted(p.name for p in (root / "build").iterdir()) == ["notes.txt"]
