"""Bibliography import (BibTeX -> source pages) and export (BibTeX, CSL-JSON).

Parsing and writing BibTeX is bibtexparser's job (v2: names split into parts,
LaTeX decoded); this module only maps its entries to kgwiki's source pages.
Import never overwrites a page: an existing slug or file is reported instead.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
import yaml
from bibtexparser import middlewares as mw

from kgwiki.graph import Source, Wiki, surname_key
from kgwiki.write import atomic_write

# kind <-> BibTeX entry type and the field that holds the venue
KIND_TO_BIBTEX = {"paper": ("article", "journal"), "preprint": ("misc", "howpublished"), "post": ("misc", "howpublished"),
                  "book": ("book", "publisher"), "textbook": ("book", "publisher"), "chapter": ("incollection", "booktitle"),
                  "report": ("techreport", "institution"), "video": ("misc", "howpublished")}
BIBTEX_TO_KIND = {"article": "paper", "inproceedings": "paper", "conference": "paper", "book": "book",
                  "incollection": "chapter", "inbook": "chapter", "techreport": "report", "phdthesis": "report",
                  "mastersthesis": "report", "misc": "preprint", "online": "post", "unpublished": "preprint"}
KIND_TO_CSL = {"paper": "article-journal", "preprint": "article", "post": "post-weblog", "book": "book",
               "textbook": "book", "chapter": "chapter", "report": "report", "video": "motion_picture"}
VENUE_FIELDS = ("journal", "booktitle", "publisher", "institution", "howpublished", "school")
SLUG_OK = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STOPWORDS = {"a", "an", "the"}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def import_file(wiki: Wiki, bib_path: Path, folder: str | None = None) -> ImportReport:
    report = ImportReport()
    try:
        text = bib_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{bib_path}: cannot read: {exc}")
        return report
    library = parse_bibtex(text)
    for block in library.failed_blocks:
        line = getattr(block, "start_line", 0) + 1
        reason = str(getattr(block, "error", "") or "").strip() or "not valid BibTeX"
        report.problems.append(f"{bib_path}:{line}: could not read this entry: {reason}")
    target = wiki.config.root / (folder or _source_folder(wiki))
    taken = set(wiki.pages)
    for entry in library.entries:
        where = f"{bib_path}:{entry.start_line + 1}"
        meta, problem = entry_to_meta(entry)
        if problem:
            report.problems.append(f"{where}: @{entry.entry_type}{{{entry.key}}}: {problem}")
            continue
        slug = entry.key if SLUG_OK.match(entry.key) else make_slug(meta["authors"], meta.get("year"), meta["title"])
        path = target / f"{slug}.md"
        if slug in taken or path.exists():
            report.problems.append(f"{where}: {entry.key}: a page `{slug}` already exists; not overwritten")
            continue
        atomic_write(path, source_page(meta, entry.fields_dict.get("abstract")).encode("utf-8"))
        taken.add(slug)
        report.created.append(path.relative_to(wiki.config.root).as_posix())
    return report


VERBATIM_FIELDS = {"url", "doi", "eprint", "archiveprefix"}  # never LaTeX: `%`, `~` and `_` are literal there


def parse_bibtex(text: str):
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # failures are reported by us, with lines
    stack = [mw.SeparateCoAuthors(), mw.SplitNameParts()]
    return bibtexparser.parse_string(text, append_middleware=stack)


def _delatex(value: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim").latex_to_text(value)


def entry_to_meta(entry) -> tuple[dict, str | None]:
    fields = {k.lower(): (f.value if k.lower() in VERBATIM_FIELDS or not isinstance(f.value, str) else _delatex(f.value))
              for k, f in entry.fields_dict.items()}
    title = _clean(fields.get("title", ""))
    if not title:
        return {}, "no title"
    authors = [_person(p) for p in fields.get("author", [])] if isinstance(fields.get("author"), list) else []
    truncated = bool(authors) and authors[-1].casefold() == "others"  # BibTeX's "and others" is "et al."
    authors = authors[:-1] if truncated else authors
    if not authors:
        return {}, "no authors"
    year_text = str(fields.get("year", "")).strip()
    if not re.fullmatch(r"\d{4}", year_text):
        return {}, f"year {year_text!r} is not a four-digit year"
    meta: dict = {"title": title, "authors": authors, **({"authors_truncated": True} if truncated else {}),
                  "year": int(year_text),
                  "kind": fields.get("kgwiki-kind") or BIBTEX_TO_KIND.get(entry.entry_type.lower(), "paper")}
    venue = next((_clean(fields[f]) for f in VENUE_FIELDS if fields.get(f)), None)
    if venue:
        meta["venue"] = venue
    url = fields.get("url")
    if url:
        meta["url"] = url.strip()
    if fields.get("doi"):
        meta["doi"] = fields["doi"].strip()
    arxiv = fields.get("eprint") if str(fields.get("archiveprefix", "arxiv")).lower() == "arxiv" else None
    if arxiv:
        meta["arxiv"] = str(arxiv).strip()  # the site links it; no url is invented, so a round trip is exact
    if fields.get("kgwiki-alt-years"):
        meta["alt_years"] = [int(y) for y in re.findall(r"\d{4}", fields["kgwiki-alt-years"])]
    if fields.get("kgwiki-cite-as"):
        meta["cite_as"] = [c.strip() for c in fields["kgwiki-cite-as"].split(";") if c.strip()]
    return meta, None


def make_slug(authors: list[str], year: int | None, title: str) -> str:
    """`hubinger-2019-risks-from-learned-optimization`: first author's surname, year, first title words."""
    surname = surname_key(authors[0]) if authors else "anon"
    words = [w for w in _ascii(title).lower().split() if w not in STOPWORDS][:4]
    parts = [_ascii(surname).lower(), str(year or "nd"), *words]
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", "-".join(parts))).strip("-")


def source_page(meta: dict, abstract=None) -> str:
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    body = "\n## What it shows\n\n"
    if abstract is not None:
        body += f"Abstract (from the bibliography):\n\n> {_clean(abstract.value)}\n"
    return f"---\n{front}---\n{body}"


def export(wiki: Wiki, fmt: str) -> str:
    sources = [wiki.sources[s] for s in sorted(wiki.sources)]
    if fmt == "csl-json":
        return json.dumps([to_csl(wiki, s) for s in sources], ensure_ascii=False, indent=2) + "\n"
    library = bibtexparser.Library()
    for s in sources:
        library.add(to_bibtex(wiki, s))
    return bibtexparser.write_string(library)


def to_bibtex(wiki: Wiki, s: Source):
    from bibtexparser.model import Entry, Field

    meta = wiki.pages[s.slug].meta
    kind = meta.get("kind", "paper")
    entry_type, venue_field = KIND_TO_BIBTEX.get(kind, ("misc", "howpublished"))
    fields = [Field("title", _brace(s.title)),
              Field("author", _latex(" and ".join([*(_bib_name(a) for a in s.authors),
                                                    *(["others"] if s.authors_truncated else [])])))]
    if s.year:
        fields.append(Field("year", str(s.year)))
    if meta.get("venue"):
        fields.append(Field(venue_field, _brace(meta["venue"])))
    if s.url:
        fields.append(Field("url", s.url))
    if meta.get("doi"):
        fields.append(Field("doi", meta["doi"]))
    if meta.get("arxiv"):
        fields += [Field("eprint", meta["arxiv"]), Field("archiveprefix", "arXiv")]
    fields.append(Field("kgwiki-kind", kind))
    if s.alt_years:
        fields.append(Field("kgwiki-alt-years", ", ".join(str(y) for y in s.alt_years)))
    if s.cite_as:
        fields.append(Field("kgwiki-cite-as", _latex("; ".join(s.cite_as))))
    return Entry(entry_type, s.slug, fields)


def to_csl(wiki: Wiki, s: Source) -> dict:
    meta = wiki.pages[s.slug].meta
    item = {"id": s.slug, "type": KIND_TO_CSL.get(meta.get("kind", "paper"), "article"), "title": s.title,
            "author": [_csl_name(a) for a in s.authors]}
    if s.year:
        item["issued"] = {"date-parts": [[s.year]]}
    if meta.get("venue"):
        item["container-title"] = meta["venue"]
    if s.url:
        item["URL"] = s.url
    if meta.get("doi"):
        item["DOI"] = meta["doi"]
    custom = {"kind": meta.get("kind", "paper")}
    if meta.get("arxiv"):
        custom["arxiv"] = meta["arxiv"]
    if s.alt_years:
        custom["alt_years"] = list(s.alt_years)
    if s.cite_as:
        custom["cite_as"] = list(s.cite_as)
    item["custom"] = custom
    return item


def _source_folder(wiki: Wiki) -> str:
    source_type = wiki.config.types.get("source")
    return source_type.folder if source_type and source_type.folder else "sources"


def _person(parts) -> str:
    """bibtexparser's NameParts -> "First von Last, Jr"."""
    if isinstance(parts, str):
        return _delatex(parts).strip()
    name = _delatex(" ".join([*parts.first, *parts.von, *parts.last]))
    return f"{name}, {_delatex(' '.join(parts.jr))}" if parts.jr else name


def _bib_name(name: str) -> str:
    """"Johannes von Oswald" -> "von Oswald, Johannes" (unambiguous in BibTeX); "Last, First" stays."""
    if "," in name:
        return name
    words = name.split()
    if len(words) < 2:
        return name
    for i, w in enumerate(words[:-1]):
        if w[:1].islower():
            return f"{' '.join(words[i:])}, {' '.join(words[:i])}"
    return f"{words[-1]}, {' '.join(words[:-1])}"


def _csl_name(name: str) -> dict:
    family, _, given = _bib_name(name).partition(",")
    return {"family": family.strip(), "given": given.strip()} if given.strip() else {"literal": name}


def _clean(value) -> str:
    return re.sub(r"\s+", " ", str(value).replace("{", "").replace("}", "")).strip()


def _brace(text: str) -> str:
    return "{" + _latex(text.replace("{", "").replace("}", "")) + "}"


def _latex(text: str) -> str:
    """Escape what LaTeX would read as commands or ligatures (the importer's decoder reads them back)."""
    text = re.sub(r"([&%$#_])", r"\\\1", text)
    return text.replace("~", "\\textasciitilde{}").replace("--", "-{}-").replace("--", "-{}-")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
