"""The citation backfill (`kgwiki cite` = scripts/backfill_citations.py), DESIGN.md §2 and §6.

What the generated "Sources cited" block says, that nothing outside its markers ever
changes, that broken markers and concurrent edits leave a page alone, and the CLI.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kgwiki import cite, sources_cited
from kgwiki.pipeline import check
from kgwiki.sources_cited import CLOSE, HEADING, OPEN
from tests.conftest import SCHEMA, write_wiki

REPO = Path(__file__).resolve().parent.parent
BOM = b"\xef\xbb\xbf"

SOURCES = {
    "sources/hubinger-2019-risks.md":
        "---\ntitle: Risks from Learned Optimization\n"
        "authors: [Evan Hubinger, Chris van Merwijk, Vladimir Mikulik, Joar Skalse, Scott Garrabrant]\n"
        "year: 2019\nurl: https://arxiv.org/abs/1906.01820\n---\n",
    "sources/christiano-2017-deep-rl.md":
        "---\ntitle: Deep RL from Human Preferences\nauthors: [Paul Christiano, Jan Leike]\n"
        "year: 2017\nurl: https://example.org/deep-rl\n---\n",
    "sources/amodei-2016-concrete.md":
        "---\ntitle: Concrete Problems in AI Safety\nauthors: [Dario Amodei, Chris Olah, Jacob Steinhardt]\n"
        "year: 2016\n---\n",
    "sources/atlas.md":
        "---\ntitle: AI Safety Atlas\nauthors: [Markov Grey, Charbel-Raphaël Segerie]\nyear: 2024\n"
        "url: https://ai-safety-atlas.com/chapters\ncite_as: [\"Atlas Ch.7\"]\n---\n",
    "sources/turner-2021-power.md":
        "---\ntitle: Optimal Policies Tend to Seek Power\nauthors: [Alex Turner]\nyear: 2021\n"
        "url: https://example.org/power\n---\n",
    "sources/doe-2021-a.md": "---\ntitle: Doe A\nauthors: [Jane Doe]\nyear: 2021\n---\n",
    "sources/doe-2021-b.md": "---\ntitle: Doe B\nauthors: [Jane Doe]\nyear: 2021\n---\n",
    "sources/smith-2018.md": "---\ntitle: Smith Early\nauthors: [Ann Smith]\nyear: 2018\n---\n",
    "sources/smith-2019.md": "---\ntitle: Smith Late\nauthors: [Ann Smith]\nyear: 2019\n---\n",
}

HUBINGER = ("- [Risks from Learned Optimization](https://arxiv.org/abs/1906.01820) — "
            "Evan Hubinger, Chris van Merwijk, Vladimir Mikulik et al. (2019)")
CHRISTIANO = "- [Deep RL from Human Preferences](https://example.org/deep-rl) — Paul Christiano & Jan Leike (2017)"
AMODEI = "- Concrete Problems in AI Safety — Dario Amodei, Chris Olah & Jacob Steinhardt (2016)"
ATLAS = "- [AI Safety Atlas](https://ai-safety-atlas.com/chapters) — Markov Grey & Charbel-Raphaël Segerie (2024)"
TURNER = "- [Optimal Policies Tend to Seek Power](https://example.org/power) — Alex Turner (2021)"

FM = "---\ntitle: Page\nsummary: s\n---\n"


# --- helpers -------------------------------------------------------------------------

def wiki_with(root: Path, pages: dict[str, str | bytes], sources: dict[str, str] = SOURCES) -> Path:
    return write_wiki(root, {"wiki.toml": SCHEMA, **sources, **pages})


def backfill(root: Path, slugs: list[str] | None = None) -> list[cite.Outcome]:
    wiki = check(root).wiki
    return cite.apply(cite.plan(wiki, slugs))


def plan_of(root: Path, slug: str) -> cite.Plan:
    wiki = check(root).wiki
    [p] = cite.plan(wiki, [slug])
    return p


def block_lines(data: bytes) -> list[str]:
    """The lines between the markers of a page's bytes (BOM and CRLF removed)."""
    text = data.removeprefix(BOM).decode("utf-8")
    span = sources_cited.find_block(text)
    assert span is not None
    return text[span.start:span.end].replace("\r\n", "\n").strip("\n").split("\n")


def byte_span(data: bytes) -> tuple[int, int]:
    """Byte offsets of the end of the opening marker and the start of the closing one."""
    bom = BOM if data.startswith(BOM) else b""
    text = data[len(bom):].decode("utf-8")
    span = sources_cited.find_block(text)
    assert span is not None
    return (len(bom) + len(text[:span.start].encode("utf-8")),
            len(bom) + len(text[:span.end].encode("utf-8")))


def assert_outside_markers_unchanged(before: bytes, after: bytes) -> None:
    start, end = byte_span(before)
    new_start, new_end = byte_span(after)
    assert after[:new_start] == before[:start]
    assert after[new_end:] == before[end:]


def run(*args: str, script: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "scripts/backfill_citations.py", *args] if script else \
        [sys.executable, "-m", "kgwiki", *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- what the block says -------------------------------------------------------------

def test_every_citation_form_feeds_the_block_in_order_of_first_appearance(tmp_path):
    page = (FM + "## Definition\n"
            "[[atlas]] first, then (Atlas Ch.7).\n"                             # link, then cite_as label
            "Christiano & Leike (2017) argue this; see also [@amodei-2016-concrete, p. 4].\n"  # narrative, key
            "The risk (see Hubinger et al. 2019, §4; Christiano & Leike 2017).\n"  # author-year, two at once
            "A typed link: [[cites::christiano-2017-deep-rl]] and [[hubinger-2019-risks|the paper]].\n"
            "Again (Atlas Ch.7) and [[atlas]]: each form once.\n")
    root = wiki_with(tmp_path, {"concepts/page.md": page})
    [outcome] = backfill(root)
    assert outcome.written and outcome.problem is None
    after = (root / "concepts/page.md").read_bytes()
    assert block_lines(after) == [
        ATLAS + "; cited as (Atlas Ch.7); linked as [[atlas]]",
        CHRISTIANO + "; cited as Christiano & Leike (2017), (Christiano & Leike 2017); "
                     "linked as [[christiano-2017-deep-rl]]",
        AMODEI + "; cited as [@amodei-2016-concrete, p. 4]",
        HUBINGER + "; cited as (Hubinger et al. 2019, §4); linked as [[hubinger-2019-risks|the paper]]",
    ]


@pytest.mark.parametrize("prose, line", [
    ("(Hubinger et al. 2019)", HUBINGER + "; cited as (Hubinger et al. 2019)"),
    ("(Hubinger et al. 2019, p. 12)", HUBINGER + "; cited as (Hubinger et al. 2019, p. 12)"),
    ("Hubinger et al. (2019) say so.", HUBINGER + "; cited as Hubinger et al. (2019)"),
    ("(Christiano & Leike 2017)", CHRISTIANO + "; cited as (Christiano & Leike 2017)"),
    ("(Christiano and Leike 2017)", CHRISTIANO + "; cited as (Christiano and Leike 2017)"),
    ("[@christiano-2017-deep-rl]", CHRISTIANO + "; cited as [@christiano-2017-deep-rl]"),
    ("[[christiano-2017-deep-rl]]", CHRISTIANO + "; linked as [[christiano-2017-deep-rl]]"),
    ("[[Deep RL from Human Preferences]]", CHRISTIANO + "; linked as [[Deep RL from Human Preferences]]"),
    ("[[cites::atlas|the Atlas]]", ATLAS + "; linked as [[atlas|the Atlas]]"),
    ("(Atlas Ch.7)", ATLAS + "; cited as (Atlas Ch.7)"),
    ("(Amodei et al. 2016)", AMODEI + "; cited as (Amodei et al. 2016)"),
])
def test_each_form_alone(tmp_path, prose, line):
    root = wiki_with(tmp_path, {"concepts/page.md": FM + prose + "\n"})
    backfill(root)
    assert block_lines((root / "concepts/page.md").read_bytes()) == [line]


def test_one_line_per_source_whatever_the_number_of_citations(tmp_path):
    prose = "(Turner 2021) " * 3 + "[@turner-2021-power] Turner (2021) [[turner-2021-power]] (Turner 2021)\n"
    root = wiki_with(tmp_path, {"concepts/page.md": FM + prose})
    backfill(root)
    assert block_lines((root / "concepts/page.md").read_bytes()) == [
        TURNER + "; cited as (Turner 2021), [@turner-2021-power], Turner (2021); linked as [[turner-2021-power]]"]


def test_title_is_escaped_and_url_with_parentheses_is_bracketed(tmp_path):
    sources = {"sources/odd.md": "---\ntitle: \"On [brackets] and *stars*\"\nauthors: [Ann Odd]\nyear: 2020\n"
                                 "url: https://en.wikipedia.org/wiki/Goodhart_(law)\n---\n"}
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "(Odd 2020)\n"}, sources)
    backfill(root)
    assert block_lines((root / "concepts/page.md").read_bytes()) == [
        r"- [On \[brackets\] and \*stars\*](<https://en.wikipedia.org/wiki/Goodhart_(law)>) — Ann Odd (2020); "
        "cited as (Odd 2020)"]


def test_author_lists_and_truncation(tmp_path):
    sources = {
        "sources/one.md": "---\ntitle: One\nauthors: [Ann One]\nyear: 2001\n---\n",
        "sources/two.md": "---\ntitle: Two\nauthors: [Bea Two, Cy Other]\nyear: 2002\n---\n",
        "sources/four.md": "---\ntitle: Four\nauthors: [Di Four, E B, F C, G D]\nyear: 2004\n---\n",
        "sources/etal.md": "---\ntitle: Etal\nauthors: [Hal Etal, I J]\nauthors_truncated: true\nyear: 2005\n---\n",
    }
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "[[one]] [[two]] [[four]] [[etal]]\n"}, sources)
    backfill(root)
    assert block_lines((root / "concepts/page.md").read_bytes()) == [
        "- One — Ann One (2001); linked as [[one]]",
        "- Two — Bea Two & Cy Other (2002); linked as [[two]]",
        "- Four — Di Four, E B, F C et al. (2004); linked as [[four]]",
        "- Etal — Hal Etal, I J et al. (2005); linked as [[etal]]",
    ]


def test_unresolved_and_ambiguous_citations_are_never_written(tmp_path):
    prose = "(Nobody et al. 2020) and (Doe 2021) and [@no-such-key] and Doe (2021).\n"
    root = wiki_with(tmp_path, {
        "concepts/nothing.md": FM + prose,
        "concepts/marked.md": FM + prose + f"\n{HEADING}\n{OPEN}\n- a stale entry\n{CLOSE}\n",
        "concepts/mixed.md": FM + prose + "(Turner 2021)\n",
    })
    before = (root / "concepts/nothing.md").read_bytes()
    outcomes = {o.path: o for o in backfill(root)}
    assert "concepts/nothing.md" not in outcomes  # nothing resolved: no section appended
    assert (root / "concepts/nothing.md").read_bytes() == before
    marked = (root / "concepts/marked.md").read_text(encoding="utf-8")
    assert f"{OPEN}\n{CLOSE}" in marked  # the block is emptied, no guesses
    assert block_lines((root / "concepts/mixed.md").read_bytes()) == [TURNER + "; cited as (Turner 2021)"]
    for name in ("marked", "mixed"):
        text = (root / f"concepts/{name}.md").read_text(encoding="utf-8")
        block = text[text.index(OPEN):]
        assert "Doe" not in block and "Nobody" not in block and "no-such-key" not in block


def test_unresolved_and_ambiguous_are_reported_by_the_cli_with_file_and_line(tmp_path, cli):
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "Fine (Turner 2021).\n(Nobody et al. 2020) (Doe 2021)\n"})
    rc, _, err = cli("cite", "--root", str(root))
    assert rc == 0  # the page is still updated with what did resolve
    assert "concepts/page.md:6:2: error[unresolved-citation]" in err
    assert "concepts/page.md:6:23: error[ambiguous-citation]" in err
    assert "doe-2021-a" in err and "doe-2021-b" in err


def test_year_mismatch_is_listed_when_the_author_has_a_single_source(tmp_path):
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "(Turner 2023)\n"})
    backfill(root)
    assert block_lines((root / "concepts/page.md").read_bytes()) == [TURNER + "; cited as (Turner 2023)"]


def test_year_mismatch_is_not_listed_when_the_author_has_several_sources(tmp_path):
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "(Smith 2021) and Smith (2022)\n"})
    before = (root / "concepts/page.md").read_bytes()
    assert [r.outcome for r in check(root).wiki.citations] == ["year-mismatch", "year-mismatch"]
    assert backfill(root) == []
    assert (root / "concepts/page.md").read_bytes() == before


def test_year_mismatch_narrowed_by_et_al_is_not_listed(tmp_path):
    sources = {
        "sources/smith-solo.md": "---\ntitle: Solo\nauthors: [Ann Smith]\nyear: 2019\n---\n",
        "sources/smith-duo.md": "---\ntitle: Duo\nauthors: [Ann Smith, Bob Jones]\nyear: 2020\n---\n",
    }
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "(Smith et al. 2021)\n"}, sources)
    before = (root / "concepts/page.md").read_bytes()
    backfill(root)
    assert (root / "concepts/page.md").read_bytes() == before


# --- nothing else changes ----------------------------------------------------------------

def test_crlf_bom_trailing_spaces_front_matter_and_missing_final_newline_are_kept(tmp_path):
    before = BOM + (
        "---\r\ntitle:   'Page'   # odd spacing kept\r\nsummary: s  \r\ntags: [ a,b ]\r\n---\r\n"
        "Text with trailing spaces   \r\n\t(Turner 2021) and [[atlas]]\t\r\n\r\n"
        f"{HEADING}\r\n{OPEN}\r\n- stale\r\n{CLOSE}\r\nAfter the block.  ").encode("utf-8")
    root = wiki_with(tmp_path, {"concepts/page.md": before})
    [outcome] = backfill(root)
    assert outcome.written
    after = (root / "concepts/page.md").read_bytes()
    assert after.startswith(BOM + b"---\r\ntitle:   'Page'   # odd spacing kept\r\n")
    assert after.endswith(CLOSE.encode() + b"\r\nAfter the block.  ")  # still no final newline
    assert_outside_markers_unchanged(before, after)
    start, end = byte_span(after)
    assert after[start:end] == (
        "\r\n" + TURNER + "; cited as (Turner 2021)\r\n" + ATLAS + "; linked as [[atlas]]\r\n").encode("utf-8")
    assert b"\n" not in after.replace(b"\r\n", b"")  # every line ending is still CRLF


def test_lf_block_in_lf_file_and_a_custom_opening_marker_text_is_kept(tmp_path):
    opening = "<!--kgwiki:sources-cited  (my own wording) -->"
    before = (FM + "(Turner 2021)\n\n## Sources\n" + opening + "\nold\n" + CLOSE + "\n\n## Notes\nmore\n").encode()
    root = wiki_with(tmp_path, {"concepts/page.md": before})
    backfill(root)
    after = (root / "concepts/page.md").read_bytes()
    assert_outside_markers_unchanged(before, after)
    assert opening.encode() in after and b"\r" not in after
    assert block_lines(after) == [TURNER + "; cited as (Turner 2021)"]


def test_a_page_without_markers_gets_the_section_appended(tmp_path):
    cases = {
        "concepts/lf.md": (FM + "(Turner 2021)\n").encode(),
        "concepts/no-newline.md": (FM + "(Turner 2021)").encode(),
        "concepts/crlf.md": BOM + (FM + "(Turner 2021)\r\n").replace("\n", "\r\n").replace("\r\r", "\r").encode(),
        "concepts/blank-end.md": (FM + "(Turner 2021)\n\n\n").encode(),
    }
    root = wiki_with(tmp_path, cases)
    befores = {rel: (root / rel).read_bytes() for rel in cases}
    assert sorted(o.path for o in backfill(root) if o.written) == sorted(cases)
    line = (TURNER + "; cited as (Turner 2021)").encode()
    for rel, before in befores.items():
        after = (root / rel).read_bytes()
        assert after.startswith(before), rel
        nl = b"\r\n" if b"\r\n" in before else b"\n"
        lead = nl if before.endswith(b"\n") else nl + nl
        assert after[len(before):] == (lead + HEADING.encode() + nl + OPEN.encode() + nl + line + nl
                                       + CLOSE.encode() + nl), rel


def test_a_page_citing_nothing_is_never_touched(tmp_path):
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "No citations, (March 2019), f(x).\n"})
    before = snapshot(root)
    assert backfill(root) == []
    assert snapshot(root) == before


def test_cr_only_file_keeps_cr_and_a_second_run_changes_nothing(tmp_path):
    before = (FM + "(Turner 2021)\n").replace("\n", "\r").encode()
    root = wiki_with(tmp_path, {"concepts/page.md": before})
    backfill(root)
    once = (root / "concepts/page.md").read_bytes()
    assert backfill(root) == []
    assert (root / "concepts/page.md").read_bytes() == once
    assert once.startswith(before) and b"\n" not in once


# --- markers in code are not markers ---------------------------------------------------------

def test_markers_inside_a_code_fence_are_left_alone(tmp_path):
    example = f"```markdown\n{HEADING}\n{OPEN}\n- ...\n{CLOSE}\n```\n"
    before = (FM + "The generated block looks like:\n\n" + example + "\n(Turner 2021)\n").encode()
    root = wiki_with(tmp_path, {"concepts/page.md": before})
    backfill(root)
    after = (root / "concepts/page.md").read_bytes()
    assert after.startswith(before)  # the example is untouched; a real section is appended
    assert after.count(OPEN.encode()) == 2


def test_a_marker_quoted_in_inline_code_does_not_break_the_page(tmp_path):
    before = (FM + f"The block ends with `{CLOSE}`.\n\n(Turner 2021)\n").encode()
    root = wiki_with(tmp_path, {"concepts/page.md": before})
    p = plan_of(root, "page")
    assert p.problem is None and p.updated is not None and p.updated.startswith(before)


# --- broken markers ---------------------------------------------------------------------------

BROKEN = {
    "only-opening": (f"(Turner 2021)\n\n{OPEN}\n- old\n", "0 closing", 7),
    "only-closing": (f"(Turner 2021)\n\n- old\n{CLOSE}\n", "0 opening", 8),
    "nested": (f"(Turner 2021)\n\n{OPEN}\n- old\n{OPEN}\n- x\n{CLOSE}\n", "nested", 9),
    "two-openings-after": (f"(Turner 2021)\n\n{OPEN}\n{CLOSE}\n{OPEN}\n", "2 opening and 1 closing", 9),
    "two-blocks": (f"(Turner 2021)\n\n{OPEN}\n{CLOSE}\n{OPEN}\n{CLOSE}\n", "2 opening and 2 closing", 9),
    "closing-first": (f"(Turner 2021)\n\n{CLOSE}\n- old\n{OPEN}\n", "comes before the opening", 7),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_markers_are_reported_and_the_file_left_alone(tmp_path, name):
    body, message, line = BROKEN[name]
    root = wiki_with(tmp_path, {"concepts/page.md": FM + body})
    before = snapshot(root)
    p = plan_of(root, "page")
    assert p.problem and message in p.problem
    assert p.location is not None and (p.location.path, p.location.line) == ("concepts/page.md", line)
    assert not p.stale and cite.apply([p]) == []
    assert snapshot(root) == before


def test_broken_markers_in_the_cli_and_in_check(tmp_path, cli):
    body, _, line = BROKEN["nested"]
    root = wiki_with(tmp_path, {"concepts/page.md": BOM + (FM + body).replace("\n", "\r\n").encode(),
                                "concepts/other.md": FM + "(Turner 2021)\n"})
    before = (root / "concepts/page.md").read_bytes()
    rc, _, err = cli("cite", "--root", str(root))
    assert rc == 1
    assert f"concepts/page.md:{line}:1: warning[stale-sources-cited]" in err  # the configured severity
    assert "left untouched" in err
    assert (root / "concepts/page.md").read_bytes() == before
    assert (root / "concepts/other.md").read_text(encoding="utf-8").count(OPEN) == 1  # the rest still runs
    checked = cli("check", "--root", str(root), "--format", "json")[1]
    [d] = [d for d in json.loads(checked)["diagnostics"] if d["code"] == "stale-sources-cited"]
    assert (d["path"], d["line"]) == ("concepts/page.md", line) and "nested" in d["message"]


# --- twice, concurrency, permissions ------------------------------------------------------------

def test_running_twice_changes_nothing_the_second_time(tmp_path):
    root = wiki_with(tmp_path, {
        "concepts/a.md": FM + "(Hubinger et al. 2019) [[atlas]] (Doe 2021)\n",
        "concepts/b.md": BOM + (FM + "Christiano & Leike (2017)\n\n" + OPEN + "\nold\n" + CLOSE).replace(
            "\n", "\r\n").encode(),
        "concepts/c.md": FM + "nothing\n",
    })
    assert sorted(o.path for o in backfill(root) if o.written) == ["concepts/a.md", "concepts/b.md"]
    once = snapshot(root)
    assert backfill(root) == []
    assert snapshot(root) == once
    assert all(not p.stale and not p.problem for p in cite.plan(check(root).wiki))
    assert not [d for d in check(root).diagnostics if d.code == "stale-sources-cited"]


def test_a_file_changed_between_plan_and_apply_is_not_overwritten(tmp_path):
    root = wiki_with(tmp_path, {"concepts/a.md": FM + "(Turner 2021)\n", "concepts/b.md": FM + "[[atlas]]\n"})
    plans = cite.plan(check(root).wiki)
    edited = (FM + "(Turner 2021) and a sentence the user just typed\n").encode()
    (root / "concepts/a.md").write_bytes(edited)
    outcomes = {o.path: o for o in cite.apply(plans)}
    assert not outcomes["concepts/a.md"].written
    assert "changed on disk" in outcomes["concepts/a.md"].problem
    assert (root / "concepts/a.md").read_bytes() == edited
    assert outcomes["concepts/b.md"].written  # the other page is still updated
    assert sorted(p.name for p in (root / "concepts").iterdir()) == ["a.md", "b.md"]  # no temp files left


def test_a_file_deleted_between_plan_and_apply_is_reported(tmp_path):
    root = wiki_with(tmp_path, {"concepts/a.md": FM + "(Turner 2021)\n"})
    plans = cite.plan(check(root).wiki)
    (root / "concepts/a.md").unlink()
    [outcome] = cite.apply(plans)
    assert not outcome.written and "cannot read" in outcome.problem
    assert not (root / "concepts/a.md").exists()


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o755])
def test_file_permissions_are_kept(tmp_path, mode):
    root = wiki_with(tmp_path, {"concepts/a.md": FM + "(Turner 2021)\n"})
    os.chmod(root / "concepts/a.md", mode)
    [outcome] = backfill(root)
    assert outcome.written
    assert stat.S_IMODE(os.stat(root / "concepts/a.md").st_mode) == mode


def test_a_symlinked_page_is_updated_through_the_link(tmp_path):
    real = tmp_path / "elsewhere" / "a.md"
    root = wiki_with(tmp_path / "wiki", {})
    real.parent.mkdir()
    real.write_text(FM + "(Turner 2021)\n", encoding="utf-8")
    (root / "concepts").mkdir()
    (root / "concepts" / "a.md").symlink_to(real)
    [outcome] = backfill(root)
    assert outcome.written
    assert (root / "concepts" / "a.md").is_symlink()
    assert OPEN in real.read_text(encoding="utf-8")


# --- the command line ---------------------------------------------------------------------------
# Each behaviour runs at least once through a real process (`python -m kgwiki cite` and
# `python scripts/backfill_citations.py`); repeats go through kgwiki.cli.main in-process to keep the
# suite fast (a process start costs ~1 s here, mostly imports).

@pytest.fixture
def cli(capsys, monkeypatch):
    from kgwiki.cli import main

    monkeypatch.chdir(REPO)

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(list(args))
        out, err = capsys.readouterr()
        return rc, out, err
    return call


@pytest.fixture
def stale_wiki(tmp_path):
    return wiki_with(tmp_path, {
        "concepts/a.md": FM + "(Turner 2021)\n\n" + HEADING + "\n" + OPEN + "\n- old\n" + CLOSE + "\n",
        "concepts/b.md": FM + "[[atlas]]\n",
        "concepts/clean.md": FM + "nothing cited\n",
    })


STALE_LINES = ["concepts/a.md: Sources cited block is out of date",
               "concepts/b.md: Sources cited block is out of date"]


@pytest.mark.parametrize("script", [False, True], ids=["kgwiki-cite", "backfill-script"])
def test_check_exits_1_listing_stale_pages_and_writes_nothing(stale_wiki, script):
    before = snapshot(stale_wiki)
    args = ("--root", str(stale_wiki), "--check")
    result = run(*args, script=True) if script else run("cite", *args)
    assert result.returncode == 1
    assert result.stdout.splitlines() == STALE_LINES
    assert "2 of 12 pages need `kgwiki cite`" in result.stderr
    assert snapshot(stale_wiki) == before


@pytest.mark.parametrize("script", [False, True], ids=["kgwiki-cite", "backfill-script"])
def test_cite_writes_then_check_exits_0_and_a_rerun_changes_nothing(stale_wiki, script, cli):
    args = ("--root", str(stale_wiki))
    first = run(*args, script=True) if script else run("cite", *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["updated concepts/a.md", "updated concepts/b.md"]
    assert block_lines((stale_wiki / "concepts/a.md").read_bytes()) == [TURNER + "; cited as (Turner 2021)"]
    after = snapshot(stale_wiki)
    assert cli("cite", *args, "--check")[:2] == (0, "")
    assert cli("cite", *args)[:2] == (0, "")
    assert snapshot(stale_wiki) == after


def test_diff_prints_a_unified_diff_and_writes_nothing(stale_wiki):
    before = snapshot(stale_wiki)
    result = run("cite", "--root", str(stale_wiki), "--diff")
    assert result.returncode == 0
    out = result.stdout
    assert out.startswith("--- a/concepts/a.md\n+++ b/concepts/a.md\n@@ ")
    assert "\n--- a/concepts/b.md\n+++ b/concepts/b.md\n@@ " in out
    assert "\n-- old\n" in out and f"\n+{TURNER}; cited as (Turner 2021)\n" in out
    assert f"\n+{HEADING}\n+{OPEN}\n+{ATLAS}; linked as [[atlas]]\n+{CLOSE}\n" in out
    assert "clean.md" not in out
    assert snapshot(stale_wiki) == before


def test_diff_output_applied_gives_what_cite_writes(stale_wiki, tmp_path_factory, cli):
    rc, diff, _ = cli("cite", "--root", str(stale_wiki), "--diff")
    copy = tmp_path_factory.mktemp("copy")
    for rel, data in snapshot(stale_wiki).items():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_bytes(data)
    try:
        patch = subprocess.run(["patch", "-p1", "-s"], cwd=copy, input=diff, text=True, capture_output=True)
    except FileNotFoundError:
        pytest.skip("no patch program")
    assert patch.returncode == 0, patch.stderr
    cli("cite", "--root", str(stale_wiki))
    assert snapshot(copy) == snapshot(stale_wiki)


def test_page_argument_limits_the_run_in_a_real_process(stale_wiki):
    b_before = (stale_wiki / "concepts/b.md").read_bytes()
    result = run("cite", "--root", str(stale_wiki), "concepts/a.md")
    assert result.returncode == 0 and result.stdout.splitlines() == ["updated concepts/a.md"]
    assert (stale_wiki / "concepts/b.md").read_bytes() == b_before


@pytest.mark.parametrize("page", ["concepts/a.md", "a", "{root}/concepts/a.md", "Page"])
def test_page_arguments_as_path_slug_absolute_path_or_title(tmp_path, page, cli):
    root = wiki_with(tmp_path, {
        "concepts/a.md": FM + "(Turner 2021)\n",
        "concepts/b.md": "---\ntitle: Other\nsummary: s\n---\n[[atlas]]\n",
    })
    arg = page.format(root=root)
    assert cli("cite", "--root", str(root), "--check", arg)[:2] == (1, STALE_LINES[0] + "\n")
    assert cli("cite", "--root", str(root), arg)[:2] == (0, "updated concepts/a.md\n")
    assert cli("cite", "--root", str(root), "--check", arg)[:2] == (0, "")
    assert cli("cite", "--root", str(root), "--check", "b")[0] == 1  # b was left alone


def test_page_arguments_limit_the_reported_citation_problems(tmp_path, cli):
    root = wiki_with(tmp_path, {"concepts/a.md": FM + "(Turner 2021)\n",
                                "concepts/b.md": FM + "(Nobody et al. 1999)\n"})
    assert "unresolved-citation" not in cli("cite", "--root", str(root), "--check", "a")[2]
    assert "concepts/b.md:5:2: error[unresolved-citation]" in cli("cite", "--root", str(root), "--check")[2]


def test_unknown_page_exits_2_and_writes_nothing(stale_wiki, cli):
    before = snapshot(stale_wiki)
    result = run("--root", str(stale_wiki), "a", "no-such-page", script=True)
    assert result.returncode == 2
    assert "no-such-page" in result.stderr and "Traceback" not in result.stderr
    assert cli("cite", "--root", str(stale_wiki), "--check", "nope")[0] == 2
    assert snapshot(stale_wiki) == before


def test_check_and_diff_cannot_be_combined(stale_wiki, cli):
    with pytest.raises(SystemExit) as exc:
        cli("cite", "--root", str(stale_wiki), "--check", "--diff")
    assert exc.value.code == 2


def test_kgwiki_check_reports_a_stale_block(stale_wiki, cli):
    result = run("check", "--root", str(stale_wiki), "--format", "json")
    stale = [(d["path"], d["line"], d["severity"]) for d in json.loads(result.stdout)["diagnostics"]
             if d["code"] == "stale-sources-cited"]
    # a.md's block is out of date (reported at its opening marker's line); b.md cites a source but has
    # no section, which counts because the wiki uses the backfill elsewhere
    assert stale == [("concepts/a.md", 8, "warning"), ("concepts/b.md", None, "warning")]
    rc, out, _ = cli("check", "--root", str(stale_wiki))
    assert "concepts/a.md:8: warning[stale-sources-cited] the generated Sources cited block is out of date" in out
    cli("cite", "--root", str(stale_wiki))
    assert "stale-sources-cited" not in cli("check", "--root", str(stale_wiki))[1]


def test_a_page_without_markers_is_not_stale_in_a_wiki_that_never_uses_the_backfill(tmp_path):
    root = wiki_with(tmp_path, {"concepts/b.md": FM + "[[atlas]]\n"})
    assert not [d for d in check(root).diagnostics if d.code == "stale-sources-cited"]
    assert plan_of(root, "b").stale  # but `kgwiki cite` would still add the section


# --- properties ------------------------------------------------------------------------------------

PROSE = [
    "(Hubinger et al. 2019)", "(Hubinger et al. 2019, §4; Christiano & Leike 2017)", "Christiano & Leike (2017)",
    "[@amodei-2016-concrete]", "[@turner-2021-power, p. 3; @nope]", "[[atlas]]", "[[cites::turner-2021-power|x]]",
    "(Atlas Ch.7)", "(Doe 2021)", "(Smith 2020)", "(Nobody et al. 1999)", "(Turner 2030)",
    "<!--", "-->", HEADING, "## Definition", "\r\n", "\n", "\n\n", " ", "  ", "\t", "---\n", "title: T\n",
    "```", "`", "- ", "[[", "]]", "(", ")", "\ufeff", "é", "—", "𝔘",
]
OPENINGS = [OPEN, "<!-- kgwiki:sources-cited -->", "<!--kgwiki:sources-cited\n-->"]
CLOSINGS = [CLOSE, "<!--/kgwiki:sources-cited-->"]
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00")
_prose = st.lists(st.one_of(st.sampled_from(PROSE), st.text(_chars, max_size=6)), max_size=12).map("".join)
_anything = st.lists(st.one_of(st.sampled_from(PROSE + OPENINGS + CLOSINGS), st.text(_chars, max_size=6)),
                     max_size=30).map("".join)
_one_block = st.tuples(_prose, st.sampled_from(OPENINGS), _prose, st.sampled_from(CLOSINGS), _prose).map(
    "".join)  # one well-formed block somewhere, with anything (stale or not) inside
texts = st.one_of(_anything, _one_block, _prose)


@pytest.fixture(scope="module")
def prop_root(tmp_path_factory):
    return wiki_with(tmp_path_factory.mktemp("prop"), {})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, bom=st.booleans(), front_matter=st.booleans())
def test_property_idempotent_and_nothing_outside_the_markers_changes(prop_root, text, bom, front_matter):
    """Bare CR is left out: see test_cr_only_file_keeps_cr_and_a_second_run_changes_nothing."""
    original = (BOM if bom else b"") + ((FM if front_matter else "") + text).encode("utf-8")
    path = prop_root / "concepts" / "page.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(original)

    plans = cite.plan(check(prop_root).wiki, None)
    [p] = [p for p in plans if p.path == "concepts/page.md"]
    cite.apply(plans)
    once = path.read_bytes()

    decoded = original.removeprefix(BOM).decode("utf-8")
    event("broken markers" if p.problem else "rewritten" if p.stale else "unchanged")
    if p.problem:
        assert once == original
    else:
        try:
            span = sources_cited.find_block(decoded)
        except sources_cited.MarkerError:  # pragma: no cover - a problem is always reported
            raise AssertionError("broken markers planned without a problem")
        if span is not None:
            event("has markers")
            assert_outside_markers_unchanged(original, once)
        else:
            assert once.startswith(original)

    assert [o for o in backfill(prop_root) if o.written] == []
    assert path.read_bytes() == once


def test_a_page_ending_inside_a_code_block_gets_its_section_after_the_block(tmp_path):
    root = wiki_with(tmp_path, {"concepts/page.md": FM + "(Turner 2021)\n```\nunclosed code"})
    first = plan_of(root, "page")
    cite.apply([first])
    text = (root / "concepts/page.md").read_text()
    assert text.startswith(FM + "(Turner 2021)\n```\nunclosed code\n```\n\n## Sources cited\n")
    second = plan_of(root, "page")
    assert not second.stale and not second.problem


@pytest.mark.parametrize("text", [
    b"(Hubinger et al. 2019)\r\n```",  # CRLF, ending inside a code block the backfill closes
    b"`---\n" + OPEN.encode() + CLOSE.encode() + b"(Hubinger et al. 2019)`",  # code around the block
    b"`" + OPEN.encode() + b"\n\n" + CLOSE.encode() + b"(Hubinger et al. 2019)`",
])
def test_a_second_backfill_changes_nothing(tmp_path, text):
    root = wiki_with(tmp_path, {})
    path = root / "concepts" / "page.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text)
    backfill(root)
    once = path.read_bytes()
    assert [o for o in backfill(root) if o.written] == []
    assert path.read_bytes() == once


def test_check_only_plans_find_the_same_stale_pages_without_reading_unmarked_files(tmp_path):
    root = wiki_with(tmp_path, {
        "concepts/marked-stale.md": FM + "(Turner 2021)\n\n" + HEADING + "\n" + OPEN + "\n- old\n" + CLOSE + "\n",
        "concepts/unmarked-citing.md": FM + "[[atlas]] and (Hubinger et al. 2019)\n",
        "concepts/unmarked-clean.md": FM + "nothing cited\n",
        "concepts/broken.md": FM + "(Turner 2021)\n" + OPEN + "\n",
    })
    wiki = check(root).wiki
    full, quick = cite.plan(wiki), cite.plan(wiki, check_only=True)
    assert [(p.path, p.stale, p.problem) for p in quick] == [(p.path, p.stale, p.problem) for p in full]
    assert {p.path for p in quick if p.stale} == {"concepts/marked-stale.md", "concepts/unmarked-citing.md"}
    unread = [p for p in quick if p.path == "concepts/unmarked-citing.md"][0]
    assert unread.original == b"" and unread.diff() == "" and cite.apply([unread]) == []  # nothing to write
    assert (root / "concepts/unmarked-citing.md").read_bytes().endswith(b"(Hubinger et al. 2019)\n")
