"""Exact (and Monte Carlo) information curves for structured families at scale.

A dense table stops near ``q^n = 2^24``; these modules use the structure of the
law instead (the entropy-profile form of Lemma 13; Examples 1 and 2):

* :mod:`.markov` -- Markov chains (homogeneous or not), exact ``Z``, TC, DTC for
  ``n`` up to ``10^4`` in ``O(n q^3 + n^2)``;
* :mod:`.codes` -- uniform laws on linear codes over ``F_p``: ``H(X_T) =
  rank_p(G_T) log p``; exact by subset enumeration, closed form for MDS codes,
  Monte Carlo over permutations for large codes;
* :mod:`.mixtures` -- mixtures of product measures (exact for exchangeable
  mixtures at any ``n``; otherwise dense-exact or Monte Carlo) and hidden Markov
  models (dense-exact or Monte Carlo).

See ``docs/structured.md`` for the derivations and complexities.
"""

from . import codes, markov, mixtures
from .codes import (
    code_entropy_profile,
    code_information_curve,
    code_curve_monte_carlo,
    is_mds,
    mds_information_curve,
    rank_mod_p,
    reed_solomon_information_curve,
)
from .markov import (
    MarkovOracle,
    curve_from_gap_sums,
    gap_information_sums,
    markov_dual_total_correlation,
    markov_entropy_profile,
    markov_information_curve,
    markov_information_summary,
    markov_sample,
    markov_total_correlation,
)
from .mixtures import (
    HMMOracle,
    ProductMixtureOracle,
    exchangeable_mixture_information_curve,
    hmm_information_curve,
    mixture_of_products_information_curve,
    mixture_posterior_curve_estimate,
)

__all__ = [
    "codes",
    "markov",
    "mixtures",
    "rank_mod_p",
    "code_entropy_profile",
    "code_information_curve",
    "code_curve_monte_carlo",
    "is_mds",
    "mds_information_curve",
    "reed_solomon_information_curve",
    "MarkovOracle",
    "curve_from_gap_sums",
    "gap_information_sums",
    "markov_information_curve",
    "markov_entropy_profile",
    "markov_information_summary",
    "markov_total_correlation",
    "markov_dual_total_correlation",
    "markov_sample",
    "HMMOracle",
    "ProductMixtureOracle",
    "exchangeable_mixture_information_curve",
    "mixture_of_products_information_curve",
    "mixture_posterior_curve_estimate",
    "hmm_information_curve",
]
