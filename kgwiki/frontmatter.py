"""A fast reader for the front matter most pages have, with PyYAML for everything else.

PyYAML (even with its C loader) spends ~50 µs on a five-line front matter, mostly
building nodes in Python: a tenth of a page's parse. Most pages only use `key: value`
lines, flow lists (`[a, "b c"]`) and block lists (`- a`) of words and whole numbers.
`simple_yaml` reads exactly that subset, gives what `yaml.safe_load` would give, and
returns None for anything else, which then goes to PyYAML. The tests check it
against PyYAML on generated text.
"""

from __future__ import annotations

import re
from typing import Any

# Values are taken whole and their trailing spaces stripped after: a lazy `(.*?) *` would try
# to end the match at every character.
KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")
LIST_ITEM = re.compile(r" *- +(.*)")
# YAML 1.1 reads these plain words as booleans or null (PyYAML's resolver).
SPECIAL_WORDS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF "
                          "null Null NULL".split())
WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")
# A plain scalar kept as a string: starts with a letter; no `: `, ` #` or trailing `:`
# (those end or comment the value); no YAML line breaks or other unprintable characters.
PLAIN_START = re.compile(r"[^\W\d_]")
FLOW_INDICATOR = re.compile(r"[,\[\]{}]")


def simple_yaml(text: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """(the mapping `text` holds, each key's 0-based line), or None when it uses anything beyond
    the simple subset."""
    if "\t" in text or not text.replace("\n", "").isprintable():
        return None  # tabs, and characters YAML reads as line breaks (U+0085, U+2028 …)
    data: dict[str, Any] = {}
    rows: dict[str, int] = {}
    list_key = None  # the key whose block list the next `- item` lines belong to
    indent = None  # of that list's items: a deeper `- ` would continue the item before
    for row, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        item = LIST_ITEM.fullmatch(line) if line[0] in " -" else None
        if item:
            depth = len(line) - len(line.lstrip(" "))
            if list_key is None or indent not in (None, depth):
                return None
            value = _scalar(item.group(1).rstrip(" "), flow=False)
            if value is _NOT_SIMPLE:
                return None
            data[list_key].append(value)
            indent = depth
            continue
        if line[0] == " ":
            return None  # a continuation line or a nested mapping
        pair = KEY_VALUE.fullmatch(line)
        if not pair or pair.group(1) in SPECIAL_WORDS:
            return None
        _close_list(data, list_key)
        key, raw = pair.group(1), (pair.group(2) or "").rstrip(" ")
        rows.setdefault(key, row)
        list_key, indent = None, None
        if not raw:
            data[key] = []
            list_key = key
            continue
        value = _flow_list(raw) if raw[0] == "[" else _scalar(raw, flow=False)
        if value is _NOT_SIMPLE:
            return None
        data[key] = value
    _close_list(data, list_key)
    return (data, rows) if data else None


def _close_list(data: dict[str, Any], key: str | None) -> None:
    if key is not None and not data[key]:
        data[key] = None  # `key:` with no items after it is null


_NOT_SIMPLE = object()


def _flow_list(raw: str) -> list | object:
    if not raw.endswith("]") or "[" in raw[1:] or "]" in raw[:-1]:
        return _NOT_SIMPLE
    inner = raw[1:-1].strip()
    if not inner:
        return []
    items = []
    for part in inner.split(","):
        value = _scalar(part.strip(), flow=True)
        if value is _NOT_SIMPLE:
            return _NOT_SIMPLE
        items.append(value)
    return items


def _scalar(raw: str, flow: bool) -> Any:
    """A whole number, a quoted string without escapes, or a plain string; else _NOT_SIMPLE."""
    if not raw:
        return _NOT_SIMPLE
    first = raw[0]
    if first in "\"'":
        body = raw[1:-1]
        if len(raw) < 2 or raw[-1] != first or first in body or "\\" in body:
            return _NOT_SIMPLE
        return body
    if WHOLE_NUMBER.fullmatch(raw):
        return int(raw)
    if (not PLAIN_START.match(raw) or raw in SPECIAL_WORDS or ": " in raw or " #" in raw
            or raw.endswith(":") or (flow and FLOW_INDICATOR.search(raw))):
        return _NOT_SIMPLE
    return raw
