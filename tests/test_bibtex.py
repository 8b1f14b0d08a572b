"""Bibliography import (BibTeX -> source pages) and export (BibTeX, CSL-JSON): kgwiki/bibtex.py.

Import creates one source page per entry, never overwrites, and reports what it skips with
the .bib line; export -> import -> export is the identity.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bibtexparser
import pytest
import yaml

from kgwiki import bibtex
from kgwiki.pipeline import check
from tests.conftest import SCHEMA, write_wiki

REPO = Path(__file__).resolve().parent.parent

BIB = r"""% A small hand-written bibliography.
@article{Hubinger2019,
  author = {Hubinger, Evan and van Merwijk, Chris and Mikulik, Vladimir and Skalse, Joar and Garrabrant, Scott},
  title = {Risks from Learned Optimization in Advanced Machine Learning Systems},
  journal = {arXiv preprint},
  year = {2019},
  doi = {10.48550/arXiv.1906.01820},
  url = {https://arxiv.org/abs/1906.01820},
  abstract = {We analyze the type of learned model, a mesa-optimizer, that is itself an optimizer.}
}

@inproceedings{Mueller:2021,
  author = {M{\"u}ller, J{\"o}rg and Smith, Ann},
  title = {{\"U}ber Learned Reward Models},
  booktitle = {Proceedings of the Workshop on Safety \& Alignment},
  year = 2021
}

@misc{christiano-2017-deep-rl,
  author = {Christiano, Paul and Leike, Jan and others},
  title = {Deep Reinforcement Learning from Human Preferences},
  eprint = {1706.03741},
  archivePrefix = {arXiv},
  primaryClass = {stat.ML},
  year = {2017}
}

@article{NoYear,
  author = {Doe, Jane},
  title = {A Paper Without a Year},
  journal = {Nowhere}
}

@article{broken,
  author = {Broken, Bob,
  title = {Oops
"""

HUBINGER_SLUG = "hubinger-2019-risks-from-learned-optimization"
MUELLER_SLUG = "muller-2021-uber-learned-reward-models"
CHRISTIANO_SLUG = "christiano-2017-deep-rl"

EXPECTED_META = {
    HUBINGER_SLUG: {
        "title": "Risks from Learned Optimization in Advanced Machine Learning Systems",
        "authors": ["Evan Hubinger", "Chris van Merwijk", "Vladimir Mikulik", "Joar Skalse", "Scott Garrabrant"],
        "year": 2019, "kind": "paper", "venue": "arXiv preprint", "url": "https://arxiv.org/abs/1906.01820",
        "doi": "10.48550/arXiv.1906.01820"},
    MUELLER_SLUG: {
        "title": "Über Learned Reward Models", "authors": ["Jörg Müller", "Ann Smith"], "year": 2021,
        "kind": "paper", "venue": "Proceedings of the Workshop on Safety & Alignment"},
    CHRISTIANO_SLUG: {
        "title": "Deep Reinforcement Learning from Human Preferences", "authors": ["Paul Christiano", "Jan Leike"],
        "authors_truncated": True, "year": 2017, "kind": "preprint", "arxiv": "1706.03741"},  # no invented url
}


# --- helpers ---------------------------------------------------------------------------------

def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def empty_wiki(root: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    return write_wiki(root, {"wiki.toml": SCHEMA, **(extra or {})})


def import_bib(root: Path, bib_text: str, name: str = "refs.bib", folder: str | None = None) -> tuple:
    bib = root.parent / f"{root.name}-{name}"
    bib.write_text(bib_text, encoding="utf-8")
    return bibtex.import_file(check(root).wiki, bib, folder), bib


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


def export(root: Path, fmt: str) -> str:
    return bibtex.export(check(root).wiki, fmt)


def round_trip(tmp_path: Path, sources: dict[str, str]) -> tuple[Path, Path]:
    """A wiki of `sources`, its BibTeX export imported into an empty wiki: (original, copy)."""
    a = empty_wiki(tmp_path / "a", sources)
    b = empty_wiki(tmp_path / "b")
    report, _ = import_bib(b, export(a, "bibtex"), "export.bib")
    assert report.problems == []
    assert len(report.created) == len(sources)
    return a, b


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kgwiki", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60)


# --- import -----------------------------------------------------------------------------------

def test_import_creates_pages_with_the_right_front_matter(tmp_path):
    root = empty_wiki(tmp_path / "wiki")
    report, _ = import_bib(root, BIB)
    assert sorted(report.created) == sorted(f"sources/{slug}.md" for slug in EXPECTED_META)
    for slug, meta in EXPECTED_META.items():
        assert front_matter(root / "sources" / f"{slug}.md") == meta, slug
    assert (root / "sources" / f"{HUBINGER_SLUG}.md").read_text(encoding="utf-8").endswith(
        "\n## What it shows\n\nAbstract (from the bibliography):\n\n"
        "> We analyze the type of learned model, a mesa-optimizer, that is itself an optimizer.\n")
    assert sorted(p.name for p in (root / "sources").iterdir()) == sorted(f"{s}.md" for s in EXPECTED_META)


def test_imported_pages_check_cleanly_and_can_be_cited(tmp_path):
    root = empty_wiki(tmp_path / "wiki", {
        "concepts/page.md": "---\ntitle: Page\nsummary: s\n---\n"
                            "(Hubinger et al. 2019) (Müller & Smith 2021) Christiano et al. (2017)\n"})
    import_bib(root, BIB)
    result = check(root)
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    assert [(r.outcome, r.sources) for r in result.wiki.citations] == [
        ("resolved", (HUBINGER_SLUG,)), ("resolved", (MUELLER_SLUG,)), ("resolved", (CHRISTIANO_SLUG,))]
    christiano = result.wiki.sources[CHRISTIANO_SLUG]
    assert christiano.authors == ("Paul Christiano", "Jan Leike") and christiano.authors_truncated
    assert result.wiki.sources[MUELLER_SLUG].year == 2021


def test_problems_are_reported_with_the_bib_line_and_skipped(tmp_path):
    root = empty_wiki(tmp_path / "wiki")
    report, bib = import_bib(root, BIB)
    assert len(report.problems) == 2
    no_year = [p for p in report.problems if p.startswith(f"{bib}:{line_of(BIB, '@article{NoYear')}: ")]
    assert len(no_year) == 1 and "NoYear" in no_year[0] and "year" in no_year[0]
    broken = [p for p in report.problems if p.startswith(f"{bib}:{line_of(BIB, '@article{broken')}: ")]
    assert len(broken) == 1 and "could not read" in broken[0]
    assert not list((root / "sources").glob("*year*")) and not list((root / "sources").glob("*broken*"))


def test_entry_without_title_or_authors_is_reported(tmp_path):
    bib = ("@article{a-2020,\n  author = {A, B},\n  year = {2020}\n}\n\n"
           "@article{b-2020,\n  title = {T},\n  year = {2020}\n}\n")
    root = empty_wiki(tmp_path / "wiki")
    report, path = import_bib(root, bib)
    assert report.created == []
    assert sorted(report.problems) == [f"{path}:1: @article{{a-2020}}: no title",
                                       f"{path}:6: @article{{b-2020}}: no authors"]


def test_an_existing_page_is_never_overwritten(tmp_path):
    mine = b"---\ntitle: My own notes\nauthors: [Evan Hubinger]\nyear: 2019\n---\nHand-written.\n"
    other = b"---\ntitle: Deep RL (a concept page that happens to share the slug)\nsummary: s\n---\n"
    root = empty_wiki(tmp_path / "wiki", {f"sources/{HUBINGER_SLUG}.md": mine,
                                          f"concepts/{CHRISTIANO_SLUG}.md": other})
    report, bib = import_bib(root, BIB)
    assert report.created == [f"sources/{MUELLER_SLUG}.md"]
    assert f"{bib}:{line_of(BIB, '@article{Hubinger2019')}: Hubinger2019: a page `{HUBINGER_SLUG}` already exists; " \
           "not overwritten" in report.problems
    assert any(p.startswith(f"{bib}:{line_of(BIB, '@misc{christiano')}: ") and "already exists" in p
               for p in report.problems)
    assert (root / "sources" / f"{HUBINGER_SLUG}.md").read_bytes() == mine
    assert (root / "concepts" / f"{CHRISTIANO_SLUG}.md").read_bytes() == other
    assert not (root / "sources" / f"{CHRISTIANO_SLUG}.md").exists()


def test_importing_twice_creates_nothing_the_second_time(tmp_path):
    root = empty_wiki(tmp_path / "wiki")
    import_bib(root, BIB)
    before = {p.name: p.read_bytes() for p in (root / "sources").iterdir()}
    report, _ = import_bib(root, BIB)
    assert report.created == []
    assert sum("already exists" in p for p in report.problems) == 3
    assert {p.name: p.read_bytes() for p in (root / "sources").iterdir()} == before


def test_two_entries_with_the_same_slug_in_one_file(tmp_path):
    bib = ("@article{Smith2020a,\n  author = {Smith, Ann},\n  title = {Same Words Here Again},\n  year = {2020}\n}\n"
           "@article{Smith2020b,\n  author = {Smith, Ann},\n  title = {Same Words Here Again, Part Two},\n"
           "  year = {2020}\n}\n")
    root = empty_wiki(tmp_path / "wiki")
    report, path = import_bib(root, bib)
    assert report.created == ["sources/smith-2020-same-words-here-again.md"]
    assert report.problems == [f"{path}:6: Smith2020b: a page `smith-2020-same-words-here-again` already exists; "
                               "not overwritten"]
    assert front_matter(root / "sources/smith-2020-same-words-here-again.md")["title"] == "Same Words Here Again"


def test_import_into_another_folder(tmp_path):
    root = empty_wiki(tmp_path / "wiki")
    report, _ = import_bib(root, BIB, folder="refs/imported")
    assert sorted(report.created) == sorted(f"refs/imported/{slug}.md" for slug in EXPECTED_META)


@pytest.mark.parametrize("authors, year, title, slug", [
    (["Evan Hubinger"], 2019, "Risks from Learned Optimization in Advanced Machine Learning Systems",
     "hubinger-2019-risks-from-learned-optimization"),
    (["Johannes von Oswald"], 2023, "Transformers Learn In-Context by Gradient Descent",
     "oswald-2023-transformers-learn-in-context-by"),
    (["Jörg Müller"], 2021, "The Über-Model: A Study", "muller-2021-uber-model-study"),
    (["OpenAI"], 2023, "GPT-4 Technical Report", "openai-2023-gpt-4-technical-report"),
    (["Ann Smith"], None, "An Undated Note", "smith-nd-undated-note"),
])
def test_make_slug(authors, year, title, slug):
    assert bibtex.make_slug(authors, year, title) == slug


def test_slug_of_an_author_with_a_suffix_uses_the_surname(tmp_path):
    bib = "@article{King1963,\n  author = {King, Jr, Martin Luther},\n  title = {Letter from Birmingham Jail},\n" \
          "  year = {1963}\n}\n"
    root = empty_wiki(tmp_path / "wiki")
    report, _ = import_bib(root, bib)
    assert report.created == ["sources/king-1963-letter-from-birmingham-jail.md"]


def test_import_keeps_urls_and_dois_verbatim(tmp_path):
    url = "https://www.cs.toronto.edu/~hinton/absps/a%20b.pdf?x=1&y=2"
    bib = ("@misc{urls-2020,\n  author = {Smith, Ann},\n  title = {T},\n  year = {2020},\n"
           f"  url = {{{url}}},\n  doi = {{10.1000/abc_def%1}}\n}}\n")
    root = empty_wiki(tmp_path / "wiki")
    import_bib(root, bib)
    meta = front_matter(root / "sources/urls-2020.md")
    assert (meta["url"], meta["doi"]) == (url, "10.1000/abc_def%1")


def test_cli_import(tmp_path):
    root = empty_wiki(tmp_path / "wiki")
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    result = run("sources", "--root", str(root), "import", str(bib))
    assert result.returncode == 1  # entries were skipped
    assert sorted(result.stdout.splitlines()) == sorted(f"created sources/{s}.md" for s in EXPECTED_META)
    assert f"{bib}:{line_of(BIB, '@article{NoYear')}: " in result.stderr
    assert "3 source pages created, 2 entries skipped" in result.stderr
    assert "Traceback" not in result.stderr


# --- export -----------------------------------------------------------------------------------

TINY = {
    "sources/hubinger-2019-risks.md":
        "---\ntitle: Risks from Learned Optimization\nauthors: [Evan Hubinger, Chris van Merwijk]\n"
        "authors_truncated: true\nyear: 2019\nkind: preprint\nvenue: arXiv\nurl: https://arxiv.org/abs/1906.01820\n"
        "arxiv: \"1906.01820\"\ncite_as: [\"Hubinger & van Merwijk 2019\", \"RLO\"]\n---\nBody.\n",
    "sources/atlas.md":
        "---\ntitle: AI Safety Atlas\n"
        "authors: [Markov Grey, Charbel-Raphaël Segerie, Jeanne Salle, Charles Martinet]\n"
        "year: 2024\nalt_years: [2023]\nkind: textbook\nvenue: \"CeSIA: French Center for AI Safety\"\n"
        "url: https://ai-safety-atlas.com/chapters\ncite_as: [\"Atlas Ch.7\", \"Grey & Segerie 2024\"]\n---\n",
    "sources/oswald-2023.md":
        "---\ntitle: Transformers Learn In-Context by Gradient Descent\nauthors: [Johannes von Oswald, Anthropic]\n"
        "year: 2023\nkind: paper\nvenue: ICML\ndoi: 10.5555/3618408.3619904\n---\n",
    "sources/chapter.md":
        "---\ntitle: \"Goodhart's Law: 50% of the Story\"\nauthors: [Ann Smith]\nyear: 2020\nkind: chapter\n"
        "venue: Handbook of Safety\n---\n",
    "sources/report.md": "---\ntitle: A Report\nauthors: [Bob Jones]\nyear: 2021\nkind: report\nvenue: Lab\n---\n",
    "sources/post.md":
        "---\ntitle: A Blog Post\nauthors: [Cy Post]\nyear: 2022\nkind: post\nurl: https://example.org/post\n---\n",
    "sources/plain.md": "---\ntitle: No Kind Given\nauthors: [Di Plain]\nyear: 2018\n---\n",
    "concepts/page.md": "---\ntitle: A concept, not a source\nsummary: s\n---\n(Atlas Ch.7)\n",
}


def test_export_bibtex(tmp_path):
    root = empty_wiki(tmp_path, TINY)
    out = export(root, "bibtex")
    assert "\tauthor = {Hubinger, Evan and van Merwijk, Chris and others},\n" in out
    assert "\tkgwiki-cite-as = {Hubinger \\& van Merwijk 2019; RLO}\n" in out
    assert "\tauthor = {von Oswald, Johannes and Anthropic},\n" in out
    assert "\ttitle = {{Goodhart's Law: 50\\% of the Story}},\n" in out
    library = bibtexparser.parse_string(out)
    assert library.failed_blocks == []
    entries = {e.key: e for e in library.entries}
    assert list(entries) == sorted(entries)  # sorted by slug, sources only
    assert {k: e.entry_type for k, e in entries.items()} == {
        "atlas": "book", "chapter": "incollection", "hubinger-2019-risks": "misc", "oswald-2023": "article",
        "plain": "article", "post": "misc", "report": "techreport"}
    hub = entries["hubinger-2019-risks"].fields_dict
    assert hub["year"].value == "2019" and hub["eprint"].value == "1906.01820"
    assert hub["archiveprefix"].value == "arXiv" and hub["url"].value == "https://arxiv.org/abs/1906.01820"
    assert hub["howpublished"].value == "{arXiv}" and hub["kgwiki-kind"].value == "preprint"
    atlas = entries["atlas"].fields_dict
    assert atlas["publisher"].value == "{CeSIA: French Center for AI Safety}"
    assert atlas["kgwiki-alt-years"].value == "2023"
    assert entries["chapter"].fields_dict["booktitle"].value == "{Handbook of Safety}"
    assert entries["oswald-2023"].fields_dict["doi"].value == "10.5555/3618408.3619904"
    assert export(root, "bibtex") == out  # deterministic


def test_export_csl_json(tmp_path):
    root = empty_wiki(tmp_path, TINY)
    items = json.loads(export(root, "csl-json"))
    assert [i["id"] for i in items] == ["atlas", "chapter", "hubinger-2019-risks", "oswald-2023", "plain", "post",
                                        "report"]
    for item in items:
        assert {"id", "type", "title", "author", "issued"} <= set(item), item["id"]
        assert isinstance(item["issued"]["date-parts"][0][0], int)
        assert item["author"] and all(set(a) in ({"family", "given"}, {"literal"}) for a in item["author"])
    by_id = {i["id"]: i for i in items}
    assert {k: i["type"] for k, i in by_id.items()} == {
        "atlas": "book", "chapter": "chapter", "hubinger-2019-risks": "article", "oswald-2023": "article-journal",
        "plain": "article-journal", "post": "post-weblog", "report": "report"}
    hub = by_id["hubinger-2019-risks"]
    assert hub["title"] == "Risks from Learned Optimization"
    assert hub["author"] == [{"family": "Hubinger", "given": "Evan"}, {"family": "van Merwijk", "given": "Chris"}]
    assert hub["issued"] == {"date-parts": [[2019]]}
    assert hub["URL"] == "https://arxiv.org/abs/1906.01820" and hub["container-title"] == "arXiv"
    assert hub["custom"] == {"kind": "preprint", "arxiv": "1906.01820",
                             "cite_as": ["Hubinger & van Merwijk 2019", "RLO"]}
    assert by_id["oswald-2023"]["author"] == [{"family": "von Oswald", "given": "Johannes"}, {"literal": "Anthropic"}]
    assert by_id["oswald-2023"]["DOI"] == "10.5555/3618408.3619904"
    assert by_id["atlas"]["author"][1] == {"family": "Segerie", "given": "Charbel-Raphaël"}
    assert by_id["atlas"]["custom"]["alt_years"] == [2023]
    assert by_id["chapter"]["title"] == "Goodhart's Law: 50% of the Story"


def test_export_of_a_wiki_without_sources(tmp_path):
    root = empty_wiki(tmp_path, {"concepts/page.md": "---\ntitle: P\nsummary: s\n---\n"})
    assert json.loads(export(root, "csl-json")) == []
    assert bibtexparser.parse_string(export(root, "bibtex")).entries == []


def test_cli_export(tmp_path):
    root = empty_wiki(tmp_path / "wiki", TINY)
    out = tmp_path / "out" / "refs.json"
    result = run("sources", "--root", str(root), "export", "--format", "csl-json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == export(root, "csl-json")
    assert "wrote 7 sources" in result.stderr


def test_cli_export_to_stdout(tmp_path, capsys, monkeypatch):
    from kgwiki.cli import main

    root = empty_wiki(tmp_path / "wiki", TINY)
    monkeypatch.chdir(REPO)
    assert main(["sources", "--root", str(root), "export"]) == 0
    assert capsys.readouterr().out == export(root, "bibtex")


def test_cli_sources_accepts_root_after_the_action(tmp_path, capsys, monkeypatch):
    from kgwiki.cli import main

    root = empty_wiki(tmp_path / "wiki", TINY)
    monkeypatch.chdir(tmp_path)
    try:
        rc = main(["sources", "export", "--format", "bibtex", "--root", str(root)])
    except SystemExit as exc:
        rc = exc.code
    assert rc == 0


# --- round trip -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["bibtex", "csl-json"])
def test_round_trip_export_import_export_is_identical(tmp_path, fmt):
    a, b = round_trip(tmp_path, {k: v for k, v in TINY.items() if k.startswith("sources/")})
    first = export(a, fmt)
    assert export(b, fmt) == first
    if fmt == "bibtex":
        assert "Hubinger \\& van Merwijk 2019" in first and "and others}" in first
    else:
        assert "Hubinger & van Merwijk 2019" in first
    hub = check(b).wiki.sources["hubinger-2019-risks"]
    assert hub.cite_as == ("Hubinger & van Merwijk 2019", "RLO") and hub.authors_truncated
    assert hub.authors == ("Evan Hubinger", "Chris van Merwijk")


def test_round_trip_of_the_imported_bib(tmp_path):
    """Import a hand-written .bib, export, import that into an empty wiki, export again: the same."""
    first = empty_wiki(tmp_path / "first")
    import_bib(first, BIB)
    a, b = round_trip(tmp_path / "again", {f"sources/{p.name}": p.read_text(encoding="utf-8")
                                           for p in (first / "sources").iterdir()})
    for fmt in ("bibtex", "csl-json"):
        assert export(b, fmt) == export(a, fmt) == export(first, fmt)


def test_round_trip_keeps_the_cite_as_labels_citable(tmp_path):
    sources = {k: v for k, v in TINY.items() if k.startswith("sources/")}
    a, b = round_trip(tmp_path, sources)
    write_wiki(b, {"concepts/page.md": "---\ntitle: P\nsummary: s\n---\n(Atlas Ch.7) (Grey & Segerie 2024) (RLO)\n"})
    assert [(r.outcome, r.sources) for r in check(b).wiki.citations] == [
        ("resolved", ("atlas",)), ("resolved", ("atlas",)), ("resolved", ("hubinger-2019-risks",))]


def test_round_trip_of_a_url_with_a_query_string(tmp_path):
    a, b = round_trip(tmp_path, {"sources/q.md": "---\ntitle: Q\nauthors: [Ann Smith]\nyear: 2020\n"
                                                 "url: https://example.org/a?b=1&c=2\n---\n"})
    assert export(b, "bibtex") == export(a, "bibtex")


def test_round_trip_of_an_author_written_last_first(tmp_path):
    sources = {"sources/h.md": "---\ntitle: H\nauthors: [\"Hubinger, Evan\", \"van Merwijk, Chris\"]\n"
                               "year: 2019\n---\n"}
    a = empty_wiki(tmp_path / "a", sources)
    assert json.loads(export(a, "csl-json"))[0]["author"][0] == {"family": "Hubinger", "given": "Evan"}
    a, b = round_trip(tmp_path / "rt", sources)
    assert export(b, "bibtex") == export(a, "bibtex")


def test_round_trip_of_a_title_with_double_hyphen_and_tilde(tmp_path):
    a, b = round_trip(tmp_path, {"sources/t.md": "---\ntitle: \"Reward hacking -- about ~10 cases\"\n"
                                                 "authors: [Ann Smith]\nyear: 2020\n---\n"})
    assert check(b).wiki.sources["t"].title == "Reward hacking -- about ~10 cases"


def test_round_trip_of_an_arxiv_only_source(tmp_path):
    a, b = round_trip(tmp_path, {"sources/x.md": "---\ntitle: X\nauthors: [Ann Smith]\nyear: 2020\n"
                                                 "kind: preprint\narxiv: \"2001.00001\"\n---\n"})
    assert export(b, "bibtex") == export(a, "bibtex")
