#!/usr/bin/env python3
"""Citation backfill: keep every page's "Sources cited" section true to the citations in its prose.

The same as `kgwiki cite` (same arguments): a thin entry point over kgwiki.

    python scripts/backfill_citations.py [--root DIR] [--check | --diff] [PAGE ...]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from kgwiki.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["cite", *sys.argv[1:]]))
