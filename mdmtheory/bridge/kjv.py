"""The King James Bible text (Debian ``bible-kjv-text``) for the project's own
masked diffusion LM.

Set-up
------
:func:`fetch_kjv` downloads the Debian packages ``bible-kjv`` (the ``bible``
program) and ``bible-kjv-text`` (its compressed text, ``bible.data``) with
``apt-get download``, unpacks both with ``dpkg-deb -x`` into the cache
directory, and dumps every verse with ``bible -f -p <dir> Gen1:1-Rev22:21``
(``-f`` turns pretty-printing off: one ``Ref text`` line per verse, 31 102
verses, ~4.1 M characters) into ``kjv.txt``.  It needs a Debian/Ubuntu system
with ``apt-get`` and ``dpkg-deb`` and access to a Debian mirror, and fails with
a :class:`KJVUnavailable` error saying which step failed otherwise.  Run it once
with ``python scripts/fetch_kjv.py``.

Cache directory: ``$MDMTHEORY_DATA/kjv`` if that variable is set, else
``<repository>/.data/kjv`` in a source checkout (git-ignored), else
``~/.cache/mdmtheory/kjv``.

Split and tokens
----------------
Characters are the tokens (66 distinct characters: letters, space, punctuation).
Held-out text = every 20th chapter in canonical order (chapters 0, 20, 40, ...;
about 5 % of the verses); the rest is training text.  Each side is the
concatenation of its verses separated by single spaces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["KJVUnavailable", "default_cache_dir", "fetch_kjv", "load_verses", "KJVCorpus",
           "load_corpus", "heldout_windows", "HELDOUT_EVERY"]

#: Every ``HELDOUT_EVERY``-th chapter (0-based canonical index) is held out.
HELDOUT_EVERY = 20
_N_VERSES = 31102
_REF = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+)$")


class KJVUnavailable(RuntimeError):
    """The KJV text could not be fetched/extracted (message says which step failed)."""


def default_cache_dir() -> Path:
    """Cache root (see the module docstring)."""
    env = os.environ.get("MDMTHEORY_DATA")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file() and os.access(repo, os.W_OK):
        return repo / ".data"
    return Path.home() / ".cache" / "mdmtheory"


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True,
                              timeout=600)
    except FileNotFoundError:
        raise KJVUnavailable(f"{what}: '{cmd[0]}' not found (a Debian/Ubuntu system with "
                             "apt-get and dpkg-deb is needed)") from None
    except subprocess.CalledProcessError as exc:
        err = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        raise KJVUnavailable(f"{what} failed ({' '.join(cmd)}): {' | '.join(err)}") from None
    except subprocess.TimeoutExpired:
        raise KJVUnavailable(f"{what} timed out ({' '.join(cmd)})") from None


def fetch_kjv(cache_dir: str | Path | None = None, *, update: bool = True,
              force: bool = False) -> Path:
    """Fetch and extract the KJV text; return the path of ``kjv.txt``.

    Parameters
    ----------
    cache_dir : path, optional
        Root cache directory (default :func:`default_cache_dir`); files go to
        ``<cache_dir>/kjv``.
    update : bool
        If ``apt-get download`` fails, run ``apt-get update`` once and retry
        (needs root).
    force : bool
        Re-fetch even if ``kjv.txt`` exists.

    Raises
    ------
    KJVUnavailable
        Naming the failing step (no apt-get, package not found, extraction
        failed, unexpected output).
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    d = root / "kjv"
    out = d / "kjv.txt"
    if out.is_file() and not force:
        return out
    d.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=d) as tmp:
        tmpd = Path(tmp)
        os.chmod(tmpd, 0o755)  # apt's _apt user must be able to write when sandboxed
        cmd = ["apt-get", "download", "bible-kjv", "bible-kjv-text"]
        try:
            _run(cmd, tmpd, "downloading the Debian packages")
        except KJVUnavailable:
            if not update:
                raise
            _run(["apt-get", "update"], tmpd, "apt-get update")
            _run(cmd, tmpd, "downloading the Debian packages (after apt-get update)")
        debs = sorted(tmpd.glob("*.deb"))
        if len(debs) != 2:
            raise KJVUnavailable(f"expected 2 .deb files, got {[p.name for p in debs]}")
        ext = d / "root"
        if ext.exists():
            shutil.rmtree(ext)
        for deb in debs:
            _run(["dpkg-deb", "-x", str(deb), str(ext)], tmpd, f"extracting {deb.name}")
    prog = ext / "usr" / "bin" / "bible"
    data = ext / "usr" / "lib" / "bible.data"
    if not prog.is_file() or not data.is_file():
        raise KJVUnavailable(f"extracted packages lack {prog} or {data}")
    res = _run([str(prog), "-f", "-p", str(data.parent), "Gen1:1-Rev22:21"], d,
               "dumping the text with the 'bible' program")
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    if len(lines) != _N_VERSES or not _REF.match(lines[0].split(" ", 1)[0]):
        raise KJVUnavailable(f"unexpected 'bible' output: {len(lines)} lines "
                             f"(expected {_N_VERSES}), first {lines[:1]}")
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text("\n".join(lines) + "\n")
    tmp_out.replace(out)
    return out


def load_verses(cache_dir: str | Path | None = None, *, fetch: bool = True
                ) -> list[tuple[str, int, int, str]]:
    """All verses as ``(book, chapter, verse, text)``, fetching the text if needed."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = root / "kjv" / "kjv.txt"
    if not path.is_file():
        if not fetch:
            raise KJVUnavailable(f"{path} not found; run scripts/fetch_kjv.py first")
        path = fetch_kjv(root)
    out = []
    for ln in path.read_text().splitlines():
        ref, _, text = ln.partition(" ")
        m = _REF.match(ref)
        if m is None:
            raise KJVUnavailable(f"malformed verse line in {path}: {ln[:60]!r}")
        out.append((m.group(1), int(m.group(2)), int(m.group(3)), text.strip()))
    return out


@dataclass(frozen=True)
class KJVCorpus:
    """Training and held-out text (see the module docstring for the split)."""

    train: str
    heldout: str

    @property
    def alphabet(self) -> str:
        """Sorted distinct characters of the whole text."""
        return "".join(sorted(set(self.train) | set(self.heldout)))


def load_corpus(cache_dir: str | Path | None = None, *, fetch: bool = True) -> KJVCorpus:
    """Split the verses into training and held-out text (every 20th chapter held out)."""
    verses = load_verses(cache_dir, fetch=fetch)
    train, held = [], []
    chap = -1
    last = None
    for book, c, _, text in verses:
        if (book, c) != last:
            chap += 1
            last = (book, c)
        (held if chap % HELDOUT_EVERY == 0 else train).append(text)
    return KJVCorpus(" ".join(train), " ".join(held))


def encode(text: str, alphabet: str) -> np.ndarray:
    """Alphabet indices of ``text`` (ValueError on a character outside it)."""
    lookup = {c: a for a, c in enumerate(alphabet)}
    try:
        return np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} not in the alphabet") from None


def heldout_windows(model, length: int, num: int, *, seed: int = 0,
                    cache_dir: str | Path | None = None) -> np.ndarray:
    """``num`` random windows of ``length`` characters of held-out text, encoded
    in ``model``'s alphabet (``model.tokens``); ``(num, length)`` int64."""
    corpus = load_corpus(cache_dir)
    alphabet = "".join(model.tokens)
    ids = encode(corpus.heldout, alphabet)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, ids.size - length, size=num)
    return np.stack([ids[s:s + length] for s in starts])
