"""Re-export of :mod:`mdmtheory.dlm.kjv_text` (the KJV text now lives with the trainer)."""

from ..dlm.kjv_text import (  # noqa: F401
    HELDOUT_EVERY,
    KJVCorpus,
    KJVUnavailable,
    default_cache_dir,
    encode,
    fetch_kjv,
    heldout_windows,
    load_corpus,
    load_verses,
)

__all__ = ["KJVUnavailable", "default_cache_dir", "fetch_kjv", "load_verses", "KJVCorpus",
           "load_corpus", "heldout_windows", "HELDOUT_EVERY", "encode"]
