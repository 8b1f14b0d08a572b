"""Incremental builds: after any sequence of edits, byte-identical to a clean build."""

import random
import sys
from pathlib import Path

import pytest

from kgwiki.pipeline import build

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from generate import generate  # noqa: E402


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_body(rng, root):
    page = rng.choice(sorted((root / "concepts").glob("*.md")))
    page.write_text(page.read_text().replace("## Definition\n", f"## Definition\n\nAn edit {rng.random()}.\n", 1))


def edit_title(rng, root):
    page = rng.choice(sorted((root / "concepts").glob("*.md")))
    text = page.read_text()
    page.write_text(text.replace("title: ", f"title: Renamed {rng.randint(0, 999)} ", 1))


def add_link(rng, root):
    pages = sorted((root / "concepts").glob("*.md"))
    page, target = rng.sample(pages, 2)
    page.write_text(page.read_text() + f"\nSee also [[{target.stem}]].\n")


def add_page(rng, root):
    slug = f"new-page-{rng.randint(0, 10**6)}"
    target = rng.choice(sorted((root / "concepts").glob("*.md"))).stem
    (root / "concepts" / f"{slug}.md").write_text(
        f"---\ntitle: New {slug}\nsummary: Added.\nrequires: [{target}]\n---\n\n## Definition\nLinks [[{target}]].\n")


def delete_page(rng, root):
    pages = sorted((root / "concepts").glob("*.md"))
    rng.choice(pages).unlink()


def break_page(rng, root):
    page = rng.choice(sorted((root / "concepts").glob("*.md")))
    page.write_text("---\ntitle: [unclosed\n---\nBroken [[nowhere]].\n")


def edit_summary(rng, root):
    page = rng.choice(sorted((root / "concepts").glob("*.md")))
    page.write_text(page.read_text().replace("summary: ", "summary: Changed. ", 1))


EDITS = [edit_body, edit_title, add_link, add_page, delete_page, break_page, edit_summary]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edit_sequences_match_a_clean_build(tmp_path, seed):
    rng = random.Random(seed)
    root = tmp_path / "wiki"
    generate(45, root, seed=seed)
    build(root, tmp_path / "incremental", jobs=1)
    for step in range(6):
        for _ in range(rng.randint(1, 3)):
            rng.choice(EDITS)(rng, root)
        result = build(root, tmp_path / "incremental", jobs=1)
        build(root, tmp_path / f"clean-{step}", jobs=1, incremental=False)
        assert tree(tmp_path / "incremental") == tree(tmp_path / f"clean-{step}"), f"seed {seed}, step {step}"
        assert result.reused + result.rendered == len(list((root / "concepts").rglob("*.md"))) + \
            len(list((root / "sources").glob("*.md")))


def test_nothing_changed_does_nothing(tmp_path):
    root = tmp_path / "wiki"
    generate(30, root)
    first = build(root, jobs=1)
    second = build(root, jobs=1)
    assert not first.up_to_date and second.up_to_date
    assert second.summary == first.summary


def test_body_edit_rerenders_only_that_page(tmp_path):
    root = tmp_path / "wiki"
    generate(30, root)
    build(root, jobs=1)
    page = root / "concepts" / "concept-00003.md"
    page.write_text(page.read_text().replace("## Definition\n", "## Definition\n\nA new sentence.\n", 1))
    result = build(root, jobs=1)
    assert result.rendered == 1


def test_corrupt_cache_is_discarded(tmp_path):
    root = tmp_path / "wiki"
    generate(20, root)
    build(root, jobs=1)
    (root / "build" / "cache" / "parsed.pickle").write_bytes(b"\x80\x04not a pickle")
    (root / "concepts" / "concept-00001.md").write_text("---\ntitle: Fresh\nsummary: s\n---\n## Definition\nx\n")
    result = build(root, jobs=1)
    assert not result.up_to_date and result.check is not None
    clean = tmp_path / "clean"
    build(root, clean, jobs=1, incremental=False)
    assert tree(root / "site") == tree(clean)


def test_cache_from_another_configuration_is_not_trusted(tmp_path):
    root = tmp_path / "wiki"
    generate(20, root)
    build(root, jobs=1)
    toml = root / "wiki.toml"
    toml.write_text(toml.read_text().replace('title = "Synthetic wiki"', 'title = "Renamed wiki"'))
    result = build(root, jobs=1)
    assert not result.up_to_date and result.reused == 0
    assert "Renamed wiki" in (root / "site" / "index.html").read_text()


def test_edited_site_file_is_rebuilt(tmp_path):
    root = tmp_path / "wiki"
    generate(20, root)
    build(root, jobs=1)
    (root / "site" / "index.html").write_text("tampered")
    (root / "site" / "concept-00002.html").write_text("tampered too")
    result = build(root, jobs=1)
    assert not result.up_to_date
    assert "tampered" not in (root / "site" / "index.html").read_text()
    assert "tampered" not in (root / "site" / "concept-00002.html").read_text()
