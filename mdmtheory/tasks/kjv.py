"""Continuing King James Bible text: a task with no checkable answer.

Sequences are windows of ``length`` characters (default 64) of the KJV text
(:mod:`mdmtheory.dlm.kjv_text`); ids are the ``kjv`` model's: ``0`` pad,
``1`` mask, ``2 + a`` for character ``a`` of the sorted 62-character
alphabet.  Training windows come from the training chapters and have no
clues (the plain MDLM objective); held-out windows come from the held-out
chapters (every 20th), and a prompt reveals their first ``prefix`` characters.

There is no exact law and no correct answer for text.  :meth:`KJVTask.is_correct`
is only a *validity* check: every complete word that contains a generated
character is a word of the training text (case-insensitive; a letter run
touching either end of the window may be truncated and is not checked).  The
meaningful figure for this task is the held-out masked NLL (nats per masked
character).
"""

from __future__ import annotations

import re

import numpy as np
import torch

from .._validation import as_int
from .base import Task

__all__ = ["KJVTask", "KJV_OFFSET", "KJV_MASK_ID", "KJV_PAD_ID"]

KJV_PAD_ID = 0
KJV_MASK_ID = 1
KJV_OFFSET = 2
_WORD = re.compile(r"[A-Za-z]+")


class KJVTask(Task):
    """Text continuation on the KJV (module docstring); loads the corpus lazily."""

    def __init__(self, length: int = 64, prefix: int = 32, *, name: str = "kjv",
                 cache_dir=None):
        self.length = as_int(length, "length", minimum=2)
        self.prefix = as_int(prefix, "prefix", minimum=0)
        if self.prefix >= self.length:
            raise ValueError(f"prefix={prefix} must be < length={length}")
        self.name = name
        self._cache_dir = cache_dir
        self._data = None
        self.mask_id = KJV_MASK_ID

    # -- lazily loaded corpus ------------------------------------------------------
    def _load(self):
        if self._data is None:
            from ..dlm.kjv_text import encode, load_corpus

            corpus = load_corpus(self._cache_dir)
            alphabet = corpus.alphabet
            words = {w.lower() for w in _WORD.findall(corpus.train)}
            self._data = (alphabet, encode(corpus.train, alphabet),
                          encode(corpus.heldout, alphabet), words)
        return self._data

    @property
    def alphabet(self) -> str:
        return self._load()[0]

    @property
    def q(self) -> int:
        return len(self.alphabet)

    @property
    def vocab_size(self) -> int:
        return self.q + KJV_OFFSET

    @property
    def answer_tokens(self) -> tuple[int, ...]:
        return tuple(range(KJV_OFFSET, KJV_OFFSET + self.q))

    def encode(self, text: str) -> np.ndarray:
        """Model ids of ``text``."""
        from ..dlm.kjv_text import encode

        return encode(text, self.alphabet) + KJV_OFFSET

    def decode(self, ids) -> str:
        """Text of one row of model ids (mask shown as ``_``)."""
        a = self.alphabet
        return "".join(a[i - KJV_OFFSET] if i >= KJV_OFFSET else "_" for i in np.asarray(ids))

    def _windows(self, ids: np.ndarray, num: int, rng: np.random.Generator) -> np.ndarray:
        s = rng.integers(0, ids.size - self.length, size=num)
        return ids[s[:, None] + np.arange(self.length)] + KJV_OFFSET

    def training_batch(self, batch, rng):
        x = self._windows(self._load()[1], as_int(batch, "batch", minimum=1), rng)
        return torch.as_tensor(x), torch.zeros(x.shape, dtype=torch.bool)

    def heldout_batch(self, num, seed=0):
        rng = np.random.default_rng([as_int(seed, "seed", minimum=0), 7919])
        x = self._windows(self._load()[2], as_int(num, "num", minimum=1), rng)
        c = np.zeros(x.shape, dtype=bool)
        c[:, :self.prefix] = True
        return torch.as_tensor(x), torch.as_tensor(c)

    def _valid(self, x: np.ndarray) -> np.ndarray:
        words = self._load()[3]
        out = np.ones(x.shape[0], dtype=bool)
        for r, row in enumerate(x):
            text = self.decode(row)
            for m in _WORD.finditer(text):
                if m.start() == 0 or m.end() == self.length or m.end() <= self.prefix:
                    continue
                if m.group().lower() not in words:
                    out[r] = False
                    break
        return out
