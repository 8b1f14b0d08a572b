"""The invalid fixture wiki: every diagnostic code fires at a known place, and only there."""

from kgwiki.pipeline import check

# (code, path, line) — the complete set the fixture must produce.
EXPECTED = {
    ("broken-link", "concepts/alpha.md", 7),
    ("broken-anchor", "concepts/alpha.md", 8),
    ("self-link", "concepts/alpha.md", 8),
    ("unresolved-citation", "concepts/alpha.md", 8),
    ("ambiguous-citation", "concepts/alpha.md", 9),
    ("citation-year-mismatch", "concepts/alpha.md", 9),
    ("duplicate-link", "concepts/alpha.md", 15),
    ("wrong-link-type", "concepts/alpha.md", 16),
    ("bad-front-matter", "concepts/bad-yaml.md", 2),
    ("missing-title", "concepts/bad-yaml.md", 1),
    ("missing-field", "concepts/bad-yaml.md", 1),
    ("asymmetric-link", "concepts/beta.md", 4),
    ("link-cycle", "concepts/beta.md", 5),
    ("alias-conflict", "concepts/conflict.md", 3),
    ("missing-section", "concepts/delta.md", None),
    ("missing-field", "concepts/delta.md", 1),
    ("ambiguous-citation", "concepts/delta.md", 6),
    ("duplicate-slug", "concepts/dup/alpha.md", None),
    ("orphan-page", "concepts/dup/alpha.md", None),
    ("empty-page", "concepts/empty.md", 1),
    ("missing-title", "concepts/empty.md", 1),
    ("missing-field", "concepts/empty.md", 1),
    ("missing-section", "concepts/empty.md", None),
    ("orphan-page", "concepts/lonely.md", None),
    ("missing-title", "concepts/no-title.md", 1),
    ("malformed-link", "concepts/unclosed.md", 7),
    ("malformed-link", "concepts/unclosed.md", 7),
    ("unknown-type", "concepts/wrong-type.md", 1),
    ("bad-front-matter", "concepts/wrong-type.md", 4),
    ("uncited-source", "sources/doe-2021-a.md", None),
    ("uncited-source", "sources/doe-2021-b.md", None),
    ("uncited-source", "sources/unused.md", None),
    ("unlinked-mention", "concepts/dup/alpha.md", 7),
    ("stale-sources-cited", "concepts/epsilon.md", None),
    ("stale-sources-cited", "concepts/alpha.md", None),
    ("stale-sources-cited", "concepts/delta.md", None),
    ("stale-sources-cited", "concepts/gamma.md", 10),
    ("suggested-link", "concepts/epsilon.md", None),
}


def codes(result):
    return [(d.code, d.location.path, d.location.line) for d in result.diagnostics]


def test_invalid_fixture_gives_exactly_the_expected_diagnostics(fixture_copy):
    root = fixture_copy("invalid")
    (root / "concepts" / "binary.md").write_bytes(b"---\ntitle: x\n---\n\x00\x01\x02")
    (root / "concepts" / "latin1.md").write_bytes("---\ntitle: caf\u00e9\n---\n".encode("latin-1"))
    found = codes(check(root, suggestions=True))
    expected = EXPECTED | {("unreadable-file", "concepts/binary.md", None),
                           ("unreadable-file", "concepts/latin1.md", None)}
    assert sorted(set(found), key=str) == sorted(expected, key=str)
    assert found.count(("malformed-link", "concepts/unclosed.md", 7)) == 2


def test_every_code_fires_in_the_fixture():
    from kgwiki.config import DEFAULT_SEVERITY
    fired = {code for code, _, _ in EXPECTED} | {"unreadable-file"}
    assert set(DEFAULT_SEVERITY) == fired


def test_diagnostics_are_sorted(fixture_copy):
    result = check(fixture_copy("invalid"))
    keys = [d.sort_key for d in result.diagnostics]
    assert keys == sorted(keys)


def test_severity_override_and_page_ignore(make_wiki):
    from tests.conftest import SCHEMA
    root = make_wiki({
        "wiki.toml": SCHEMA + '\n[severity]\norphan-page = "off"\nbroken-link = "warning"\n',
        "concepts/a.md": "---\ntitle: A\nsummary: s\n---\n[[nowhere]]\n",
        "concepts/b.md": "---\ntitle: B\nsummary: s\nignore: [broken-link]  # a draft\n---\n[[nowhere]]\n",
    })
    result = check(root)
    assert [(d.code, d.severity, d.location.path) for d in result.diagnostics] == [
        ("broken-link", "warning", "concepts/a.md")]


def test_broken_link_hint_names_the_closest_page(make_wiki):
    from tests.conftest import SCHEMA
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/mesa-optimization.md": "---\ntitle: Mesa-optimization\nsummary: s\n---\n[[mesa-optimisation]]\n",
    })
    [d] = [d for d in check(root).diagnostics if d.code == "broken-link"]
    assert "[[mesa-optimization]]" in d.hint


def test_year_mismatch_with_alt_years_resolves(make_wiki):
    from tests.conftest import SCHEMA
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "sources/langosco.md": "---\ntitle: GM\nauthors: [Lauro Langosco di Langosco, Jack Koch]\n"
                               "year: 2022\nalt_years: [2021]\n---\n",
        "concepts/a.md": "---\ntitle: A\nsummary: s\n---\n(Langosco et al. 2021) and (Langosco et al. 2022) "
                         "and (Langosco et al. 2020)\n",
    })
    result = check(root)
    outcomes = [r.outcome for r in result.wiki.citations]
    assert outcomes == ["resolved", "resolved", "year-mismatch"]
    assert [d.code for d in result.diagnostics if d.code != "orphan-page"] == ["citation-year-mismatch"]


def test_orphans_ignore_pages_linked_only_by_themselves(make_wiki):
    from tests.conftest import SCHEMA
    root = make_wiki({
        "wiki.toml": SCHEMA,
        "concepts/a.md": "---\ntitle: A\nsummary: s\n---\n[[b]]\n",
        "concepts/b.md": "---\ntitle: B\nsummary: s\n---\n[[a]]\n",
        "concepts/c.md": "---\ntitle: C\nsummary: s\n---\n[[a]]\n",
    })
    assert [(d.code, d.location.path) for d in check(root).diagnostics] == [("orphan-page", "concepts/c.md")]
