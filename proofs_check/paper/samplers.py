"""Rows for the preliminaries and samplers: Def 11, Defs 12-15, Lemma 13, Thm 16."""

from __future__ import annotations

import itertools

import numpy as np

from .._core import Config, Tracker
from ._base import _random_tables, delegate, paper
from .lower_bounds import _sampler_as_policy


# ============================================================================ Section 2
@paper("Def 11", "conditional marginal oracle: (mu(X_i = . | X_S = x))_{i not in S}; uniform "
       "on contexts of probability 0", "adaptive.oracle_answer, oracle.DistributionOracle",
       uses=(8, 20))
def def11(cfg: Config, tr: Tracker):
    from mdmtheory import Distribution
    from mdmtheory.adaptive import oracle_answer

    rng = cfg.rng(1101)
    cnt = 0
    for p in _random_tables(rng, 6, 4, 3):
        p = p * (rng.random(p.shape) < 0.7)
        if p.sum() == 0:
            continue
        p = p / p.sum()
        mu = Distribution(p)
        n, q = p.ndim, p.shape[0]
        for m in range(n):
            for S in itertools.combinations(range(n), m):
                for x in itertools.product(range(q), repeat=m):
                    ans = oracle_answer(mu, S, x)
                    # brute: enumerate all strings
                    mass = np.zeros((n, q))
                    for y in itertools.product(range(q), repeat=n):
                        if all(y[i] == v for i, v in zip(S, x)):
                            for i in range(n):
                                mass[i, y[i]] += p[y]
                    tot = mass[0].sum()
                    for i in range(n):
                        if i in S:
                            continue
                        ref = mass[i] / tot if tot > 0 else np.full(q, 1.0 / q)
                        tr.eq(float(np.max(np.abs(ans[i] - ref))), 0.0,
                              {"S": list(S), "x": list(x), "i": i})
                        cnt += 1
    tr.add_method(f"exhaustive: every context of 6 random sparse tables (n<=4, q<=3), "
                  f"{cnt} rows vs enumeration of all strings")


delegate("Def 12", "H_m = mean over |S| = m of H(X_S), H_0 = 0", "information.entropy_profile",
         (2,))
delegate("Lemma 13", "Z_i = H_1 + H_{i-1} - H_i", "information.curve_from_profile", (2,))
delegate("Def 14", "A_fixed: nu^S(x) = prod_i prod_{j in S_i} mu(x_j | x_{T_i}), k queries",
         "sampler.output_law", (8,))


@paper("Def 15", "A(k, s): uniform ordered partition, then A_fixed; output law E_S nu^S",
       "sampler.sampler_output_law, adaptive.random_unmasking_policy", uses=(20,))
def def15(cfg: Config, tr: Tracker):
    return _sampler_as_policy(cfg, tr)


delegate("Thm 16", "KL(mu||nu) <= E_S KL(mu||nu^S) = sum_i sum_j (Z_{N_{i-1}+j} - Z_{N_{i-1}+1})",
         "sampler.exact_sampler_errors, schedule.left_riemann_error", (7, 8, 10, 20))
