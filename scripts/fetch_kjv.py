#!/usr/bin/env python
"""Set-up step: fetch and extract the King James Bible text (Debian ``bible-kjv-text``).

    python scripts/fetch_kjv.py [--cache-dir DIR] [--force]

Writes ``<cache>/kjv/kjv.txt`` (default cache: ``.data/`` in this checkout, or
``$MDMTHEORY_DATA``).  Exits with status 1 and a one-line message saying which
step failed if the text cannot be obtained (no apt-get/dpkg-deb, no mirror,
unexpected output).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from mdmtheory.bridge.kjv import KJVUnavailable, fetch_kjv, load_corpus

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--force", action="store_true")
    args = p.parse_args(argv)
    try:
        path = fetch_kjv(args.cache_dir, force=args.force)
        corpus = load_corpus(args.cache_dir, fetch=False)
    except KJVUnavailable as exc:
        print(f"fetch_kjv: the KJV text is unavailable: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: {len(corpus.train):,} training and {len(corpus.heldout):,} held-out "
          f"characters, alphabet of {len(corpus.alphabet)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
