"""Rows for Section 4 (lower bounds): Defs 17-19, 22, 23, 26; Prop 20; Lemma 21; Thms 24-25."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .. import brute
from .._core import Config, Tracker
from ._base import _bits_curve, _random_tables, paper


# ============================================================================ Section 4
def _rs_tables():
    from mdmtheory import families as F

    return [(4, d, 5, F.reed_solomon_generator(4, d, 5)) for d in (1, 2, 3)] + \
           [(3, d, 3, F.reed_solomon_generator(3, d, 3)) for d in (1, 2)]


@paper("Def 17", "V is MDS iff every d columns of its generator are independent "
       "(min distance n - d + 1)", "structured.codes.is_mds")
def def17(cfg: Config, tr: Tracker):
    from mdmtheory.structured.codes import is_mds

    for n, d, p, G in _rs_tables():
        words = np.array([(np.array(u) @ G) % p for u in itertools.product(range(p), repeat=d)])
        wt = [int(np.count_nonzero(w)) for w in words if w.any()]
        tr.fact(is_mds(G, p) == (min(wt) == n - d + 1), {"n": n, "d": d, "p": p})
    G = np.array([[1, 0, 1, 0], [0, 1, 1, 0]])  # zero column: not MDS
    words = np.array([(np.array(u) @ G) % 2 for u in itertools.product(range(2), repeat=2)])
    tr.fact(not is_mds(G, 2) and min(int(np.count_nonzero(w)) for w in words if w.any()) < 3)
    tr.add_method("exhaustive: is_mds vs minimum distance n-d+1 by enumerating codewords "
                  "(RS codes and a non-MDS code)")


@paper("Def 18", "D over affine [n,d] codes is balanced: P_V[x in V_S] = q^{-(|S|-d)} for |S| >= d",
       "affine_codes.balance_deviation")
def def18(cfg: Config, tr: Tracker):
    return _balance(cfg, tr)


@paper("Def 19", "RS[n,d]_q = evaluations of polynomials of degree < d at distinct points; MDS; "
       "affine shifts too", "families.reed_solomon, affine_codes.reed_solomon_affine")
def def19(cfg: Config, tr: Tracker):
    from mdmtheory.affine_codes import reed_solomon_affine

    for n, d, p, G in _rs_tables():
        pts = list(range(n))
        polys = {tuple(sum(c * a ** e for e, c in enumerate(coef)) % p for a in pts)
                 for coef in itertools.product(range(p), repeat=d)}
        rows = {tuple((np.array(u) @ G) % p) for u in itertools.product(range(p), repeat=d)}
        tr.fact(polys == rows, {"n": n, "d": d, "p": p})
        b = tuple(int(v) for v in cfg.rng(1900 + d).integers(0, p, n))
        mu = reed_solomon_affine(n, d, p, b)
        support = {tuple(int(v) for v in x) for x in zip(*np.nonzero(mu.p))}
        tr.fact(support == {tuple((np.array(r) + b) % p) for r in polys}, {"shift": b})
    tr.add_method("exhaustive: generator rows = polynomial evaluations; affine support = code + b")


@paper("Prop 20", "Unif(V), V affine MDS of dim d: below d revealed positions the oracle answers "
       "uniform; Z_j = log2 q 1[j > d]", "affine_codes.reed_solomon_affine, "
       "hardness.indistinguishability_report", uses=(19,))
def prop20(cfg: Config, tr: Tracker):
    from mdmtheory.adaptive import oracle_answer
    from mdmtheory.affine_codes import reed_solomon_affine

    for n, d, p in [(4, 1, 5), (4, 2, 5), (4, 3, 5), (3, 2, 3)]:
        b = tuple(int(v) for v in cfg.rng(2000 + d).integers(0, p, n))
        mu = reed_solomon_affine(n, d, p, b)
        _, Z = _bits_curve(mu.p)
        ref = math.log2(p) * (np.arange(1, n + 1) > d)
        tr.eq(float(np.max(np.abs(Z - ref))), 0.0, {"n": n, "d": d, "p": p, "shift": b})
        for m in range(d):
            for S in itertools.combinations(range(n), m):
                for x in itertools.product(range(p), repeat=m):
                    ans = oracle_answer(mu, S, x)
                    free = [i for i in range(n) if i not in S]
                    tr.eq(float(np.max(np.abs(ans[free] - 1.0 / p))), 0.0)
    tr.add_method("exhaustive: affine RS[4,d]_5 (d=1..3), RS[3,2]_3 with random shifts: every "
                  "context below d answers uniform; Z in bits = log2 q 1[j>d]")


@paper("Lemma 21", "D_{n,d,q} (RS code + uniform shift) is balanced",
       "affine_codes.balance_deviation")
def lemma21(cfg: Config, tr: Tracker):
    return _balance(cfg, tr)


def _balance(cfg: Config, tr: Tracker):
    from mdmtheory import families as F
    from mdmtheory.affine_codes import balance_deviation

    shapes = [(3, 1, 3), (3, 2, 3), (4, 2, 5)] + ([] if cfg.quick else [(4, 1, 5), (4, 3, 5)])
    for n, d, p in shapes:
        G = F.reed_solomon_generator(n, d, p)
        tr.eq(balance_deviation(G, p), 0.0, {"n": n, "d": d, "p": p})
        # independent: enumerate all shifts b in F_p^n and all codewords
        words = [tuple((np.array(u) @ G) % p) for u in itertools.product(range(p), repeat=d)]
        for m in range(d, n + 1):
            S = tuple(range(m))
            x = tuple([1] * m)
            hits = sum(1 for b in itertools.product(range(p), repeat=n)
                       if any(all((w[i] + b[i]) % p == x[j] for j, i in enumerate(S))
                              for w in words))
            tr.eq(hits / p ** n, float(p) ** (d - m), {"n": n, "d": d, "p": p, "S": S})
    tr.add_method(f"exhaustive: all shifts b, all S with |S| >= d, all x, RS codes {shapes}; "
                  "plus a direct count over F_p^n")


@paper("Def 22", "F-aware adaptive algorithm; the k-step random unmasking sampler is a k-query one",
       "adaptive.run_exactly, adaptive.random_unmasking_policy")
def def22(cfg: Config, tr: Tracker):
    return _sampler_as_policy(cfg, tr)


def _sampler_as_policy(cfg: Config, tr: Tracker):
    from mdmtheory import Distribution
    from mdmtheory.adaptive import random_unmasking_policy, run_exactly

    rng = cfg.rng(2200)
    for p in _random_tables(rng, 4 if cfg.quick else 12, 3, 2):
        mu = Distribution(p)
        n = p.ndim
        for s in brute.compositions(n):
            law, used = run_exactly(random_unmasking_policy(s, n, 2), mu)
            # independent: average nu^S over all ordered partitions (brute conditionals)
            ref = np.zeros_like(p)
            parts = list(brute.ordered_partitions(n, s))
            for part in parts:
                for y in itertools.product(range(2), repeat=n):
                    pr, U = 1.0, []
                    for S in part:
                        for j in S:
                            idx = [slice(None)] * n
                            for i in U:
                                idx[i] = y[i]
                            sub = p[tuple(idx)]
                            axes = tuple(a for a in range(sub.ndim)
                                         if a != sorted(set(range(n)) - set(U)).index(j))
                            marg = sub.sum(axis=axes)
                            pr *= marg[y[j]] / marg.sum() if marg.sum() > 0 else 0.5
                        U += list(S)
                    ref[y] += pr / len(parts)
            tr.eq(float(np.abs(law - ref).max()), 0.0, {"sizes": list(s), "table": p.tolist()})
            tr.fact(used == len(s), {"sizes": list(s), "queries": used})
    tr.add_method("exhaustive: the sampler written as a decision-tree policy has output law "
                  "E_S nu^S (brute force over ordered partitions) and uses exactly k queries")


@paper("Def 23", "cost^KL_T = KL(mu||A[mu]) and cost^TV_T = TV(mu, A[mu]) if A is T(mu)-query, "
       "else +inf", "adaptive.cost")
def def23(cfg: Config, tr: Tracker):
    from mdmtheory import Distribution
    from mdmtheory.adaptive import cost, random_unmasking_policy, run_exactly

    rng = cfg.rng(2300)
    for p in _random_tables(rng, 4, 3, 2):
        mu = Distribution(p)
        n = p.ndim
        for s in brute.compositions(n):
            pol = random_unmasking_policy(s, n, 2)
            law, _ = run_exactly(pol, mu)
            tv = 0.5 * float(np.abs(p - law).sum())
            kl = float(np.sum(p[p > 0] * np.log2(p[p > 0] / law[p > 0])))
            tr.eq(cost(pol, mu, len(s), kind="tv"), tv)
            tr.eq(cost(pol, mu, len(s), kind="kl", base=2), kl)
            tr.fact(cost(pol, mu, len(s) - 1) == math.inf)
    tr.add_method("exhaustive: costs vs direct TV/KL (bits) of the exact output law; +inf "
                  "one query under budget")


def _thm24_ingredients(cfg: Config, tr: Tracker):
    from mdmtheory import families as F
    from mdmtheory.adaptive import (prior_cost, random_unmasking_policy, run_exactly,
                                    thm24_cost_bound, thm24_prior, tv_distance)
    from mdmtheory.affine_codes import reed_solomon_affine

    n, p = 3, 3
    U = F.uniform(n, p)
    for d in range(1, n):
        V = reed_solomon_affine(n, d, p, (1, 0, 2))
        tr.eq(tv_distance(U.p, V.p), 1 - float(p) ** (d - n), {"d": d})
    tr.add_method("exact: TV(U, Unif V) = 1 - q^{d-n}")
    for T in range(0, 10):
        nn = 321
        val = thm24_cost_bound(nn, T)
        tr.fact((val >= 1 / 16) == (T <= (nn - 1) / 32), {"T": T})
        tr.fact(val <= 0.25 * 3 / 8)
    tr.add_method("arithmetic: (1/4)(3/8 - 4T/(n-1)) >= 1/16 iff T(U) <= (n-1)/32")
    prior = thm24_prior(n, p)
    sch = [(2, 1)] if cfg.quick else [(3,), (2, 1), (1, 2), (1, 1, 1)]
    for s in sch:
        pol = random_unmasking_policy(s, n, p)
        c = prior_cost(pol, prior, lambda mu, s=s: len(s))
        # independent: direct average of TV over the enumerated prior
        direct = sum(w * 0.5 * float(np.abs(mu.p - run_exactly(pol, mu)[0]).sum())
                     for w, mu in prior)
        tr.eq(c, direct, {"sizes": list(s)})
    tr.add_method(f"exact: E_D TV cost of the k-step samplers {sch} over Thm 24's prior "
                  f"(n={n}, q={p}, {len(prior)} laws)")


@paper("Thm 24", "no F-aware A with T(mu) <= C max(1, min(TC, DTC)) log n has sup cost^TV <= 1/16 "
       "on {U} u {affine RS codes}", "adaptive.prior_cost, adaptive.thm24_cost_bound, "
       "affine_codes.balance_deviation",
       not_checkable="quantifies over all adaptive algorithms and needs T(U) < (n-1)/32, i.e. "
                     "n >= 33 with q >= n (q^n states); checked: its ingredients (Prop 20, "
                     "Lemma 21 rows; TV(U, Unif V); the eta arithmetic; exact prior costs)")
def thm24(cfg: Config, tr: Tracker):
    return _thm24_ingredients(cfg, tr)


def _thm25_curves(cfg: Config, tr: Tracker):
    from mdmtheory import Distribution, families as F
    from mdmtheory.adaptive import oracle_answer
    from mdmtheory.affine_codes import product_with_code, reed_solomon_affine

    rng = cfg.rng(2500)
    n, p = 3, 3
    for trial in range(2 if cfg.quick else 6):
        ms = rng.dirichlet(np.full(2 ** n, 0.5)).reshape((2,) * n)
        mu_star = Distribution(ms)
        H0, Z0 = _bits_curve(ms)
        for d in range(1, n):
            V = reed_solomon_affine(n, d, p, tuple(int(v) for v in rng.integers(0, p, n)))
            prod = product_with_code(mu_star, V)
            H1, Z1 = _bits_curve(prod.p)
            shift = math.log2(p) * (np.arange(1, n + 1) > d)
            ctx = {"mu_star": ms.tolist(), "d": d}
            tr.eq(float(np.max(np.abs(Z1 - Z0 - shift))), 0.0, ctx)
            tr.eq(brute.tc_def(H1, n) - brute.tc_def(H0, n), (n - d) * math.log2(p), ctx)
            tr.eq(brute.dtc_def(H1, n) - brute.dtc_def(H0, n), d * math.log2(p), ctx)
            # below d revealed positions the answers equal mu* x U's (Prop 20 on the Y part)
            U = product_with_code(mu_star, F.uniform(n, p))
            for m in range(d):
                for S in itertools.combinations(range(n), m):
                    for x in itertools.product(range(2 * p), repeat=m):
                        a, b = oracle_answer(prod, S, x), oracle_answer(U, S, x)
                        tr.eq(float(np.max(np.abs(a - b))), 0.0, {**ctx, "S": S, "x": x})
    tr.add_method("exact: mu* random on {0,1}^3, affine RS[3,d]_3: Z(mu* x U_V) - Z(mu*) = "
                  "log2 3 1[j>d] (bits), TC +(n-d) log2 q, DTC + d log2 q")


@paper("Thm 25", "for any mu*, no F-aware A with budget C max(1, min(TC,DTC)) log n has sup "
       "cost^TV <= 1/16 on {mu* x U} u {mu* x U_V}", "affine_codes.product_with_code, "
       "affine_codes.up_shift_curve",
       not_checkable="quantifies over all adaptive algorithms (proof = Thm 24's); checked: the "
                     "family's curves are exactly Z^{up d} with the log2 q factor, TC/DTC shifts")
def thm25(cfg: Config, tr: Tracker):
    return _thm25_curves(cfg, tr)


@paper("Def 26", "an algorithm is a stochastic decision tree; A[mu] = sum_leaf P[leaf|mu] nu_leaf",
       "adaptive.run_exactly")
def def26(cfg: Config, tr: Tracker):
    from mdmtheory import Distribution
    from mdmtheory.adaptive import run_exactly

    # a hand-built tree: query the empty context; if position 0 is likelier 0, query it,
    # else output a fixed string with prob 1/2 and the mode otherwise
    def policy(tr_):
        if not tr_:
            return [(1.0, ("query", (), ()))]
        S, x, ans = tr_[-1]
        if len(tr_) == 1 and ans[0, 0] >= 0.5:
            return [(1.0, ("query", (0,), (0,)))]
        mode = tuple(int(np.argmax(ans[i])) if i not in S else x[S.index(i)] for i in range(3))
        return [(0.5, ("output", (1, 1, 1))), (0.5, ("output", mode))]

    rng = cfg.rng(2600)
    for p in _random_tables(rng, 8, 3, 2, n_min=3):
        mu = Distribution(p)
        law, used = run_exactly(policy, mu)
        # independent evaluation of the same tree by hand
        m0 = p.sum(axis=(1, 2))
        ref = np.zeros_like(p)
        ref[1, 1, 1] += 0.5
        if m0[0] >= 0.5:
            sub = p[0] / p[0].sum()
            mode = (0, int(np.argmax(sub.sum(axis=1))), int(np.argmax(sub.sum(axis=0))))
            depth = 2
        else:
            mode = tuple(int(np.argmax(p.sum(axis=tuple(a for a in range(3) if a != i))))
                         for i in range(3))
            depth = 1
        ref[mode] += 0.5
        tr.eq(float(np.abs(law - ref).max()), 0.0, {"table": p.tolist()})
        tr.fact(used == depth)
    tr.add_method("exhaustive: a hand-built adaptive tree, its law and depth vs hand evaluation")
