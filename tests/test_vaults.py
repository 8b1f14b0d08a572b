"""Obsidian and Quartz vaults without a wiki.toml: attachments, tag links, folder links, URL embeds."""

from kgwiki.pipeline import build, check


def codes(result):
    return sorted((d.code, d.location.path, d.location.line) for d in result.diagnostics if d.severity == "error")


def test_vault_links_that_are_not_pages(make_wiki):
    root = make_wiki({
        "index.md": "# Home\n\n![[diagram.png]] ![[missing.png]] ![[https://example.org/a.avif|An image]]\n"
                    "[[tags/plugin/filter|filters]] [[tags/plugin]] [[tags/nope]] [[guide/]] [[paper.pdf]]\n",
        "guide/index.md": "---\ntags: [plugin/filter]\n---\n# Guide\n",
        "guide/diagram.png": b"\x89PNG\r\n",
        "files/paper.pdf": b"%PDF-1.4",
    })
    result = check(root)
    assert codes(result) == [("broken-link", "index.md", 3), ("broken-link", "index.md", 4)]
    messages = " ".join(d.message for d in result.diagnostics)
    assert "[[missing.png]]: no file of that name" in messages and "[[tags/nope]]" in messages
    build(root)
    html = (root / "site" / "index.html").read_text()
    assert '<span class="attachment">diagram.png</span>' in html
    assert '<a class="external" href="https://example.org/a.avif" rel="noopener">An image</a>' in html
    assert '<a class="tag" href="tags/plugin-filter.html">filters</a>' in html
    assert 'data-slug="guide/index"' in html or 'href="guide/index.html"' in html
