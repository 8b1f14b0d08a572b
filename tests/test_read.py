"""read.py through pipeline.check: bad files become diagnostics naming the file; the rest is still checked."""

import os

import pytest

from kgwiki.pipeline import check
from kgwiki.read import MAX_BYTES, normalise_text, read_file
from tests.conftest import SCHEMA

GOOD = "---\ntitle: Good\nsummary: s\n---\n## Definition\nLinks to [[nowhere]].\n"


def diags(result, code=None):
    return [(d.code, d.location.path) for d in result.diagnostics if code is None or d.code == code]


def unreadable(result):
    return {d.location.path: d.message for d in result.diagnostics if d.code == "unreadable-file"}


def assert_rest_checked(result):
    """The good page was parsed, linked and validated despite the bad file next to it."""
    assert "good" in result.wiki.pages
    assert ("broken-link", "concepts/good.md") in diags(result)


@pytest.fixture
def wiki(make_wiki):
    def make(extra: dict) -> "Path":
        return make_wiki({"wiki.toml": SCHEMA, "concepts/good.md": GOOD, **extra})
    return make


@pytest.mark.parametrize("content, fragment", [
    ("caf\u00e9 au lait\n".encode("latin-1"), "not UTF-8"),
    (b"line one\nline two \xff\n", "line 2"),
    (b"---\ntitle: x\n---\n\x00\x01\x02", "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_undecodable_files_are_unreadable(wiki, content, fragment):
    result = check(wiki({"concepts/bad.md": content}))
    assert list(unreadable(result)) == ["concepts/bad.md"]
    assert fragment in unreadable(result)["concepts/bad.md"]
    assert "bad" not in result.wiki.pages
    assert_rest_checked(result)


def test_empty_file_is_an_empty_page(wiki):
    result = check(wiki({"concepts/empty.md": ""}))
    [d] = [d for d in result.diagnostics if d.code == "empty-page"]
    assert (d.location.path, d.location.line, d.severity) == ("concepts/empty.md", 1, "warning")
    assert "empty" in result.wiki.pages
    assert unreadable(result) == {}
    assert_rest_checked(result)


def test_whitespace_only_file_is_an_empty_page(wiki):
    result = check(wiki({"concepts/blank.md": " \n\n\t\n"}))
    assert ("empty-page", "concepts/blank.md") in diags(result)


def test_file_over_the_size_limit(wiki, tmp_path):
    root = wiki({})
    (root / "concepts" / "huge.md").write_bytes(b"a" * (MAX_BYTES + 1))
    (root / "concepts" / "fits.md").write_bytes(b"---\ntitle: Fits\nsummary: s\n---\n" + b"a" * (MAX_BYTES - 100))
    result = check(root)
    assert list(unreadable(result)) == ["concepts/huge.md"]
    assert "5 MB" in unreadable(result)["concepts/huge.md"]
    assert "fits" in result.wiki.pages
    assert_rest_checked(result)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_a_regular_file_and_does_not_hang(wiki):
    root = wiki({})
    os.mkfifo(root / "concepts" / "x.md")
    result = check(root)
    assert unreadable(result) == {"concepts/x.md": "not a regular file"}
    assert_rest_checked(result)


def test_symlink_loop_of_a_parent_folder(wiki):
    root = wiki({"concepts/sub/inner.md": "---\ntitle: Inner\nsummary: s\n---\n[[good]]\n"})
    os.symlink("..", root / "concepts" / "sub" / "loop")
    result = check(root)
    assert list(unreadable(result)) == ["concepts/sub/loop"]
    assert "loop" in unreadable(result)["concepts/sub/loop"]
    # every real file is read exactly once
    assert sorted(p.path for p in result.wiki.pages.values()) == ["concepts/good.md", "concepts/sub/inner.md"]
    assert_rest_checked(result)


def test_broken_symlink(wiki):
    root = wiki({})
    os.symlink("does-not-exist.md", root / "concepts" / "broken.md")
    result = check(root)
    assert list(unreadable(result)) == ["concepts/broken.md"]
    assert "broken symlink" in unreadable(result)["concepts/broken.md"]
    assert_rest_checked(result)


def test_self_referencing_symlink_file(wiki):
    root = wiki({})
    os.symlink("self.md", root / "concepts" / "self.md")
    result = check(root)
    assert list(unreadable(result)) == ["concepts/self.md"]
    assert_rest_checked(result)


def test_symlink_to_a_real_page_is_read(wiki):
    root = wiki({"elsewhere/real.md": "---\ntitle: Real\nsummary: s\n---\n[[good]]\n"})
    os.symlink(root / "elsewhere" / "real.md", root / "concepts" / "linked.md")
    result = check(root)
    assert unreadable(result) == {}
    assert result.wiki.pages["linked"].title == "Real"


def test_several_bad_files_each_get_their_own_diagnostic(wiki):
    result = check(wiki({"concepts/a.md": b"\xff", "concepts/b.md": b"\x00", "concepts/c.md": "---\ntitle: C\n"
                                                                                            "summary: s\n---\n"}))
    assert sorted(unreadable(result)) == ["concepts/a.md", "concepts/b.md"]
    assert {"good", "c"} <= set(result.wiki.pages)


# --- line endings and BOM -------------------------------------------------------------------

PAGE = ("---\ntitle: A\nsummary: s\nrelated: [b]\n---\n# A\n\n## Definition\nSee [[b]] and (Smith et al. 2019).\n\n"
        "## Related concepts\n- [[c]] — the description\n\n```\n[[x]]\n```\nEnd [[missing]] [@key].\n")


def snapshot(root):
    result = check(root)
    page = result.wiki.pages["a"]
    return (
        [(l.target, l.location.line, l.location.col, l.link_type, l.description, l.origin) for l in page.links],
        [(c.text, c.location.line, c.location.col) for c in page.citations],
        [(h.text, h.line) for h in page.headings],
        [(d.code, d.location.path, d.location.line, d.location.col) for d in result.diagnostics],
        page.title, dict(page.meta), page.body_line,
    )


@pytest.mark.parametrize("encode", [
    lambda t: t.replace("\n", "\r\n").encode(),
    lambda t: ("\ufeff" + t).encode(),
    lambda t: ("\ufeff" + t.replace("\n", "\r\n")).encode(),
    lambda t: t.replace("\n", "\r").encode(),
], ids=["crlf", "bom", "bom+crlf", "cr"])
def test_crlf_and_bom_read_exactly_like_lf(make_wiki, tmp_path, encode):
    lf = make_wiki({"lf/wiki.toml": SCHEMA, "lf/concepts/a.md": PAGE}) / "lf"
    other = make_wiki({"other/wiki.toml": SCHEMA, "other/concepts/a.md": encode(PAGE)}) / "other"
    expected = snapshot(lf)
    assert snapshot(other) == expected
    links = expected[0]
    assert ("missing", 17, 5, None, None, "inline") in links
    assert ("c", 12, 3, "related", "the description", "section") in links
    assert ("b", 4, 11, "related", None, "field") in links


def test_normalise_text():
    assert normalise_text("\ufeffa\r\nb\rc\n") == "a\nb\nc\n"
    assert normalise_text("a\ufeffb") == "a\ufeffb"  # only a leading BOM is dropped


def test_read_file_returns_normalised_text(tmp_path):
    path = tmp_path / "x.md"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\r\n")
    source, problem = read_file(path, "x.md")
    assert problem is None and source.text == "one\ntwo\n" and source.path == "x.md"


# --- what is skipped ------------------------------------------------------------------------------

def test_hidden_and_output_folders_are_skipped_without_a_schema(make_wiki):
    root = make_wiki({
        "index.md": "[[page]]\n",
        "page.md": "[[index]]\n",
        "notes/.hidden.md": "[[nowhere-1]]\n",
        ".obsidian/x.md": "[[nowhere-2]]\n",
        ".git/y.md": "[[nowhere-3]]\n",
        ".private/z.md": "[[nowhere-4]]\n",
        "site/s.md": "[[nowhere-5]]\n",
        "build/b.md": "[[nowhere-6]]\n",
        "node_modules/pkg/readme.md": "[[nowhere-7]]\n",
        "notes/site/kept.md": "[[index]]\n",  # only the top-level site/ is output
        "notes/readme.txt": "[[nowhere-8]]\n",
    })
    result = check(root)
    assert sorted(p.path for p in result.wiki.pages.values()) == ["index.md", "notes/site/kept.md", "page.md"]
    assert not [d for d in result.diagnostics if d.code == "broken-link"]


def test_configured_output_folders_and_ignore_patterns_are_skipped(make_wiki):
    root = make_wiki({
        "wiki.toml": '[wiki]\nsite = "public"\nbuild = "out"\nignore = ["drafts", "*.tmp.md"]\n',
        "a.md": "---\ntitle: A\n---\n[[b]]\n",
        "b.md": "---\ntitle: B\n---\n[[a]]\n",
        "public/p.md": "[[nowhere]]\n",
        "out/o.md": "[[nowhere]]\n",
        "drafts/d.md": "[[nowhere]]\n",
        "c.tmp.md": "[[nowhere]]\n",
    })
    result = check(root)
    assert sorted(p.path for p in result.wiki.pages.values()) == ["a.md", "b.md"]


def test_only_content_folders_are_read_with_a_schema(make_wiki):
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/good.md": GOOD,
        "README.md": "[[nowhere]]\n",
        "docs/x.md": "[[nowhere]]\n",
    })
    assert [p.path for p in check(root).wiki.pages.values()] == ["concepts/good.md"]


def test_read_to_end_reads_a_file_that_grew_or_shrank_since_stat(tmp_path):
    import os

    from kgwiki.read import read_to_end

    path = tmp_path / "f.md"
    path.write_bytes(b"0123456789" * 10_000)

    def read(size, limit=None):
        fd = os.open(path, os.O_RDONLY)
        try:
            return read_to_end(fd, size, limit)
        finally:
            os.close(fd)

    assert read(100_000) == path.read_bytes()
    assert read(3) == path.read_bytes()  # grew since stat: read to the end
    assert read(200_000) == path.read_bytes()  # shrank since stat
    assert read(3, limit=50_000) == path.read_bytes()[:50_001]  # one byte past the limit shows it is over
