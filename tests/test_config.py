"""config.py: wiki.toml -> Config; every mistake is a ConfigError naming its key, and exit 2 from the CLI."""

import subprocess
import sys
from pathlib import Path

import pytest

from kgwiki.config import ConfigError, DEFAULT_SEVERITY, load_config
from tests.conftest import SCHEMA

REPO = Path(__file__).resolve().parent.parent


def load(make_wiki, toml: str):
    return load_config(make_wiki({"wiki.toml": toml}))


def test_schema_loads(make_wiki, tmp_path):
    config = load(make_wiki, SCHEMA + '\n[severity]\norphan-page = "info"\n')
    assert config.has_schema and config.root == tmp_path
    assert config.title == "Test"
    assert list(config.types) == ["concept", "agenda", "source"]
    assert config.types["concept"].required == ("summary",)
    assert config.types["agenda"].folder == "concepts/agendas"
    related = config.links["related"]
    assert (related.section, related.field, related.from_types, related.to_types, related.symmetric) == (
        "Related concepts", "related", ("concept",), ("concept",), True)
    assert config.links["requires"].acyclic and config.links["requires"].from_types is None
    assert config.links["mentions"].to_types is None
    assert config.content == ("concepts", "sources")  # nested concepts/agendas is covered by concepts
    assert config.section_links() == {"related concepts": "related", "related agendas": "agenda"}
    assert config.field_links() == {"related": "related", "requires": "requires"}
    assert config.severity_of("orphan-page") == "info"
    assert config.severity_of("broken-link") == "error"
    assert config.default_type == "concept"


def test_builtin_link_types_are_added(make_wiki):
    config = load(make_wiki, '[types.concept]\n[types.source]\nfolder = "sources"\n')
    assert set(config.links) == {"cites", "mentions"}
    assert config.links["cites"].to_types == ("source",)


def test_no_wiki_toml_is_schema_less(tmp_path):
    config = load_config(tmp_path)
    assert not config.has_schema
    assert config.content == () and config.default_type == "page"
    assert config.severity_of("orphan-page") == "info"


def test_wiki_settings(make_wiki):
    config = load(make_wiki, '[wiki]\ntitle = "T"\nsite = "public/"\nbuild = "out"\ncontent = ["notes"]\n'
                             'ignore = ["drafts"]\nallow_raw_html = true\n')
    assert (config.title, config.site_dir, config.build_dir, config.content, config.ignore, config.allow_raw_html) == (
        "T", "public", "out", ("notes",), ("drafts",), True)


MISTAKES = [
    ("unknown top-level key", 'bogus = 1\n', "bogus"),
    ("unknown [wiki] key", '[wiki]\ntitel = "x"\n', "wiki.titel"),
    ("unknown key in [types.x]", '[types.concept]\nfolder = "c"\nfodler = "x"\n', "types.concept.fodler"),
    ("unknown key in [links.x]", '[types.concept]\n[links.related]\nto = ["concept"]\nsymetric = true\n',
     "links.related.symetric"),
    ("link to undeclared type", '[types.concept]\n[links.related]\nto = ["widget"]\n', "links.related.to"),
    ("link from undeclared type", '[types.concept]\n[links.related]\nfrom = ["widget"]\n', "links.related.from"),
    ("unknown severity level", '[severity]\norphan-page = "loud"\n', "severity.orphan-page"),
    ("unknown diagnostic code", '[severity]\norphan-pages = "info"\n', "severity.orphan-pages"),
    ("folder with ..", '[types.concept]\nfolder = "../outside"\n', "types.concept.folder"),
    ("nested ..", '[types.concept]\nfolder = "a/../../outside"\n', "types.concept.folder"),
    ("absolute folder", '[types.concept]\nfolder = "/etc"\n', "types.concept.folder"),
    ("site with ..", '[wiki]\nsite = "../out"\n', "wiki.site"),
    ("content with ..", '[wiki]\ncontent = ["ok", "../no"]\n', "wiki.content"),
    ("wrong value type", '[links.related]\nsymmetric = "yes"\n', "links.related.symmetric"),
    ("list wanted", '[types.concept]\nrequired = "summary"\n', "types.concept.required"),
    ("type not a table", 'types = 3\n', "types"),
    ("same section twice", '[links.a]\nsection = "X"\n[links.b]\nsection = "x"\n', "links.b.section"),
    ("undeclared default type", '[wiki]\ndefault_type = "nope"\n[types.concept]\n', "wiki.default_type"),
]


@pytest.mark.parametrize("toml, key", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_raises_config_error_naming_the_key(make_wiki, toml, key):
    with pytest.raises(ConfigError) as info:
        load(make_wiki, toml)
    assert info.value.key == key
    assert f"wiki.toml: {key}: " in str(info.value)


def test_invalid_toml_is_a_config_error(make_wiki):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(make_wiki, "x = [\n")


def test_every_severity_level_is_accepted(make_wiki):
    toml = "[severity]\n" + "".join(f'{code} = "{level}"\n' for code, level in
                                    zip(DEFAULT_SEVERITY, ["error", "warning", "info", "off"] * 10))
    config = load(make_wiki, toml)
    assert config.severity_of("broken-link") == "error"
    assert config.severity_of("malformed-link") == "warning"


def kgwiki(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kgwiki", *args], capture_output=True, text=True, cwd=cwd or REPO,
                          timeout=60)


def test_cli_exits_2_naming_the_key(make_wiki):
    root = make_wiki({"wiki.toml": '[types.concept]\nfodler = "x"\n', "a.md": "# A\n"})
    proc = kgwiki("check", "--root", str(root))
    assert proc.returncode == 2
    assert "types.concept.fodler" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""


@pytest.mark.parametrize("toml, key", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_every_mistake_exits_2_from_the_cli(make_wiki, capsys, toml, key):
    from kgwiki.cli import main
    root = make_wiki({"wiki.toml": toml, "a.md": "# A\n"})
    assert main(["check", "--root", str(root)]) == 2
    assert key in capsys.readouterr().err


def test_cli_finds_wiki_toml_upwards(make_wiki, monkeypatch, capsys):
    from kgwiki.cli import main
    root = make_wiki({"wiki.toml": 'bogus = 1\n', "sub/deeper/x.md": "# X\n"})
    monkeypatch.chdir(root / "sub" / "deeper")
    assert main(["check"]) == 2
    assert "bogus" in capsys.readouterr().err
