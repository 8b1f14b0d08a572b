"""Deterministic synthetic wiki in kgwiki's page format, for benchmarks.

    python bench/generate.py N OUT_DIR [--seed S]

N pages of about 4 KB: ~75% concepts, ~10% agendas, ~15% sources; ~10 links a
page with power-law in-degrees; a few broken links and bad citations, as a real
wiki has. The same N and seed always give the same bytes.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

WORDS = ("model training objective reward policy agent oversight gradient optimizer behaviour "
         "goal learned system deployment distribution shift proxy evaluation feature circuit "
         "representation monitor signal human feedback preference robust failure capability "
         "incentive search internal external inner outer alignment deceptive honest control "
         "interpretability evidence result argument setting benchmark data scale").split()
SURNAMES = ("Hubinger Langosco Shah Greenblatt Amodei Christiano Irving Leike Turner Omohundro Bostrom "
            "Ngo Carlsmith Krakovna Skalse Gao Manheim Soares Burns Bowman Elhage Bricken Templeton "
            "Cunningham Olah Zou Perez Meinke Denison Sharma Korbak Baker Casper Bai Ouyang Russell").split()

WIKI_TOML = """[wiki]
title = "Synthetic wiki"

[types.concept]
folder = "concepts"
required = ["summary"]
sections = ["Definition"]

[types.agenda]
folder = "concepts/agendas"
required = ["summary"]

[types.source]
folder = "sources"
required = ["authors", "year", "url"]

[links.related]
section = "Related concepts"
field = "related"
from = ["concept"]
to = ["concept"]
symmetric = true

[links.agenda]
section = "Related agendas"
from = ["concept", "agenda"]
to = ["agenda"]
inverse = "addresses"

[links.requires]
field = "requires"
to = ["concept"]
acyclic = true

[links.cites]
to = ["source"]
inverse = "cited by"

[links.mentions]
inverse = "mentioned by"

[severity]
asymmetric-link = "info"
orphan-page = "info"
"""


def sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(n or rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def generate(n: int, out: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    n_sources = max(1, n * 15 // 100)
    n_agendas = max(1, n * 10 // 100)
    n_concepts = n - n_sources - n_agendas
    concepts = [f"concept-{i:05d}" for i in range(n_concepts)]
    agendas = [f"agenda-{i:05d}" for i in range(n_agendas)]
    sources = []
    for i in range(n_sources):
        surname = SURNAMES[i % len(SURNAMES)]
        rnd = i // len(SURNAMES)
        year = 1990 + rnd % 36
        # (surname, year) pairs repeat past 36 x 36 sources: a letter tells them apart, as in real bibliographies
        suffix = "abcdefghij"[rnd // 36 - 1] if rnd >= 36 else ""
        sources.append((f"{surname.lower()}-{year}{suffix}-{i:05d}", surname, year, f"{surname} et al. {year}{suffix}"))
    # Power-law popularity: page k is linked with weight 1/(k+1).
    weights = [1 / (k + 1) for k in range(n_concepts)]

    if out.exists():
        shutil.rmtree(out)
    (out / "concepts" / "agendas").mkdir(parents=True)
    (out / "sources").mkdir()
    (out / "wiki.toml").write_text(WIKI_TOML)

    for slug, surname, year, label in sources:
        text = (f"---\ntitle: \"{sentence(rng, 6)[:-1]}\"\nauthors: [{surname} A., Other B., Third C.]\n"
                f"year: {year}\nurl: https://example.org/{slug}\ncite_as: [\"{label}\"]\n"
                f"summary: {sentence(rng)}\n---\n\n## What it shows\n"
                + " ".join(sentence(rng) for _ in range(12)) + "\n")
        (out / "sources" / f"{slug}.md").write_text(text)

    for idx, slug in enumerate(concepts + agendas):
        is_agenda = idx >= n_concepts
        related = {concepts[k] for k in rng.choices(range(n_concepts), weights=weights, k=4)} - {slug}
        mentions = [concepts[k] for k in rng.choices(range(n_concepts), weights=weights, k=5)]
        cited = rng.sample(sources, k=min(3, len(sources)))
        body = [f"## Definition"]
        for p in range(6):
            words = [sentence(rng) for _ in range(5)]
            if mentions:
                target = mentions.pop()
                if target != slug:
                    words.insert(2, f"See [[{target}]] for more.")
            if p < len(cited):
                _, surname, year, label = cited[p]
                words.append(f"This was studied ({label}).")
            body.append(" ".join(words))
            if p == 2:
                body.append("## Why it matters")
        if rng.random() < 0.02:
            body.append(f"A broken link to [[missing-page-{rng.randint(0, 99)}]].")
        if rng.random() < 0.02:
            body.append(f"A bad citation (Nobody et al. {rng.randint(1990, 2025)}).")
        section = "Related agendas" if is_agenda else "Related concepts"
        targets = sorted(rng.sample(agendas, k=min(2, len(agendas))) if is_agenda else related)
        body.append(f"## {section}")
        body.extend(f"- [[{t}]] \u2014 {sentence(rng, 8)}" for t in targets if t != slug)
        kind = "type: agenda\n" if is_agenda else ""
        requires = ""
        if not is_agenda and idx > 10 and rng.random() < 0.3:
            requires = f"requires: [{concepts[rng.randrange(0, idx)]}]\n"  # only earlier pages: acyclic
        text = (f"---\ntitle: {slug.replace('-', ' ').title()}\n{kind}aliases: [alias {slug}]\n"
                f"tags: [tag-{idx % 20}]\nsummary: {sentence(rng)}\n{requires}---\n\n" + "\n\n".join(body) + "\n")
        folder = out / "concepts" / ("agendas" if is_agenda else "")
        (folder / f"{slug}.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.n, args.out, args.seed)


if __name__ == "__main__":
    main()
