"""cli.py: output formats, exit codes, no tracebacks, help."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kgwiki.cli import main
from tests.conftest import SCHEMA

REPO = Path(__file__).resolve().parent.parent

CLEAN = {
    "wiki.toml": SCHEMA,
    "concepts/a.md": "---\ntitle: A\nsummary: s\n---\n## Related concepts\n- [[b]] \u2014 x\n",
    "concepts/b.md": "---\ntitle: B\nsummary: s\n---\n## Related concepts\n- [[a]] \u2014 y\n",
}
# Only warnings: c is an orphan.
WARNINGS_ONLY = {**CLEAN, "concepts/c.md": "---\ntitle: C\nsummary: s\n---\n[[a]]\n"}
ERRORS = {**CLEAN, "concepts/c.md": "---\ntitle: C\nsummary: s\n---\n\n[[a]] [[nowhere]]\n"}


def kgwiki(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kgwiki", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=120)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def add_bad_files(root: Path) -> Path:
    (root / "concepts" / "binary.md").write_bytes(b"---\ntitle: x\n---\n\x00\x01\x02")
    (root / "concepts" / "latin1.md").write_bytes("---\ntitle: caf\u00e9\n---\n".encode("latin-1"))
    (root / "concepts" / "png.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "concepts" / "huge.md").write_bytes(b"x" * (5 * 1024 * 1024 + 1))
    (root / "concepts" / "crazy.md").write_text(
        "---\ntitle: [[[\n---\n[[ \x01 ]] [[C:\\x]] [[https://x]] ![[]] (Et al. 9999) [@] [@;] `` ` ``[[\n```\n",
        encoding="utf-8")
    return root


# --- json -------------------------------------------------------------------------------

def test_json_output_shape(make_wiki, capsys):
    root = make_wiki(ERRORS | {"concepts/sub/d.md": "---\ntitle: D\nsummary: s\naliases: 3\n---\n[[a]]\n"})
    code, out, _ = run(capsys, "check", "--root", str(root), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"diagnostics", "summary"}
    assert set(data["summary"]) == {"pages", "links", "citations", "errors", "warnings", "infos"}
    assert data["summary"]["pages"] == 4
    assert data["summary"]["errors"] == sum(d["severity"] == "error" for d in data["diagnostics"]) == 2
    assert data["summary"]["warnings"] == sum(d["severity"] == "warning" for d in data["diagnostics"])
    for d in data["diagnostics"]:
        assert set(d) == {"code", "severity", "path", "line", "col", "message", "hint"}
        assert "\\" not in d["path"] and not d["path"].startswith("/")
    by_code = {d["code"]: d for d in data["diagnostics"]}
    assert by_code["broken-link"]["path"] == "concepts/c.md"
    assert (by_code["broken-link"]["line"], by_code["broken-link"]["col"]) == (6, 7)
    assert by_code["bad-front-matter"]["path"] == "concepts/sub/d.md"
    orphan = by_code["orphan-page"]
    assert orphan["line"] is None and orphan["col"] is None  # null, not 0 or missing
    keys = [(d["path"], d["line"] or 0, d["col"] or 0) for d in data["diagnostics"]]
    assert keys == sorted(keys)


def test_json_of_a_clean_wiki(make_wiki, capsys):
    code, out, _ = run(capsys, "check", "--root", str(make_wiki(CLEAN)), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"diagnostics": [], "summary": {"pages": 2, "links": 2, "citations": 0, "errors": 0,
                                                              "warnings": 0, "infos": 0}}


# --- github and text ------------------------------------------------------------------------

def test_github_annotations(make_wiki, capsys):
    code, out, err = run(capsys, "check", "--root", str(make_wiki(ERRORS)), "--format", "github")
    lines = out.splitlines()
    assert code == 1
    assert "::error file=concepts/c.md,line=6,col=7,title=broken-link::[[nowhere]] links to no page" in lines
    assert "::warning file=concepts/c.md,title=orphan-page::no other page links to this page" in lines
    assert all(re.match(r"::(error|warning|notice) file=[^,:]+(,line=\d+)?(,col=\d+)?,title=[\w-]+::", l)
               for l in lines)
    assert "pages" in err  # the summary goes to stderr, not into the annotations


def test_text_format(make_wiki, capsys):
    code, out, _ = run(capsys, "check", "--root", str(make_wiki(ERRORS)))
    assert code == 1
    assert "concepts/c.md:6:7: error[broken-link] [[nowhere]] links to no page\n" in out
    assert "concepts/c.md: warning[orphan-page] no other page links to this page\n" in out
    assert out.rstrip().splitlines()[-1].startswith("3 pages, ")


# --- exit codes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("files, strict, expected", [
    (CLEAN, False, 0), (CLEAN, True, 0),
    (WARNINGS_ONLY, False, 0), (WARNINGS_ONLY, True, 1),
    (ERRORS, False, 1), (ERRORS, True, 1),
])
def test_exit_codes(make_wiki, capsys, files, strict, expected):
    args = ["check", "--root", str(make_wiki(files))] + (["--strict"] if strict else [])
    assert run(capsys, *args)[0] == expected


def test_infos_never_fail(make_wiki, capsys):
    root = make_wiki(WARNINGS_ONLY | {"wiki.toml": SCHEMA + '\n[severity]\norphan-page = "info"\n'})
    code, out, _ = run(capsys, "check", "--root", str(root), "--strict")
    assert code == 0 and "info[orphan-page]" in out


def test_exit_2_for_a_bad_wiki_toml(make_wiki, capsys):
    code, _, err = run(capsys, "check", "--root", str(make_wiki({"wiki.toml": "[links.x]\nto = ['nope']\n"})))
    assert code == 2
    assert "links.x.to" in err


def test_exit_2_for_a_missing_root(tmp_path):
    proc = kgwiki("check", "--root", str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert "missing" in proc.stderr and "Traceback" not in proc.stderr


def test_exit_2_for_a_root_that_is_a_file(tmp_path, capsys):
    (tmp_path / "f.md").write_text("x")
    assert run(capsys, "check", "--root", str(tmp_path / "f.md"))[0] == 2


def test_exit_2_for_bad_arguments(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--format", "xml"])
    assert info.value.code == 2


# --- robustness ----------------------------------------------------------------------------------

def test_no_traceback_on_bad_content(fixture_copy, tmp_path):
    root = add_bad_files(fixture_copy("invalid"))
    procs = {fmt: subprocess.Popen([sys.executable, "-m", "kgwiki", "check", "--root", str(root), "--format", fmt],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
             for fmt in ("text", "json", "github")}
    outputs = {fmt: (*proc.communicate(timeout=120), proc.returncode) for fmt, proc in procs.items()}
    for fmt, (out, err, code) in outputs.items():
        assert code == 1, err
        assert "Traceback" not in out + err
        for name in ("binary.md", "latin1.md", "png.md", "huge.md"):
            assert f"concepts/{name}" in out
    data = json.loads(outputs["json"][0])
    assert {d["path"] for d in data["diagnostics"] if d["code"] == "unreadable-file"} == {
        "concepts/binary.md", "concepts/latin1.md", "concepts/png.md", "concepts/huge.md"}
    assert {"bad-front-matter", "malformed-link"} <= {d["code"] for d in data["diagnostics"]
                                                       if d["path"] == "concepts/crazy.md"}


def test_no_traceback_when_building_bad_content(fixture_copy, tmp_path):
    root = add_bad_files(fixture_copy("invalid"))
    proc = kgwiki("build", "--root", str(root), "--out", str(tmp_path / "out"))
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 1
    assert (tmp_path / "out" / "index.html").is_file()


# --- help -------------------------------------------------------------------------------------------

DESIGNED = ("check", "build", "serve", "cite", "sources", "graph", "suggest", "new")  # DESIGN.md §7


def parser_commands():
    from kgwiki.cli import build_parser
    [action] = [a for a in build_parser()._actions if a.dest == "command"]
    return set(action.choices)


def listed_commands(help_text):
    return set(re.findall(r"^    (\w+)\s", help_text, re.M))


def test_help_lists_every_command():
    proc = kgwiki("--help")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert listed_commands(proc.stdout) == parser_commands()
    assert {"check", "build", "cite", "sources"} <= listed_commands(proc.stdout)


def test_help_lists_every_designed_command():
    from kgwiki.cli import build_parser
    assert listed_commands(build_parser().format_help()) >= set(DESIGNED)


@pytest.mark.parametrize("command", sorted(parser_commands()))
def test_each_command_has_help(capsys, command):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: kgwiki {command}" in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "check" in out


def test_progress_only_on_a_terminal_and_only_after_a_second(monkeypatch):
    import io

    from kgwiki import cli

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert cli.progress_printer(io.StringIO()) is None  # not a TTY: quiet
    clock = [100.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    out = Terminal()
    progress = cli.progress_printer(out)
    progress(10, 100)
    assert out.getvalue() == ""  # under a second: quiet
    clock[0] += 1.5
    progress(50, 100)
    progress(100, 100)
    assert out.getvalue() == "\rrendering pages: 50/100\rrendering pages: 100/100\n"
