"""The 21 ingredient checks behind the paper rows of :mod:`proofs_check.paper`.

Each check records its cases in a :class:`~proofs_check._core.Tracker` and
describes its method(s).  Three methods are used:

* **symbolic** -- SymPy: an identity over a *generic* set function (any
  entropy vector) or a *generic* nondecreasing curve, expanded to exactly 0 for
  every ``n`` in a range (or for symbolic ``n``), or an inequality whose slack
  is exhibited as a combination of nonnegative terms with nonnegative
  coefficients (a certificate);
* **exhaustive** -- every composition / ordered partition / context of small
  cases, exact enumeration (brute force of :mod:`proofs_check.brute`, which
  shares no code with :mod:`mdmtheory`), compared with the package;
* **randomized** -- the distributions/curves enumerated are random (seeded).

Under ``--mutate N`` item ``N`` checks a deliberately false variant of its
statement instead (named in its ``mutation``), which must come out *refuted*:
the self-test of the checker (``tests/test_proofs_check.py``).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import sympy as sp

from . import brute
from ._core import Config, Tracker, check
from .corpus import Case, corpus, sampler_cases
from .symbolic import Curve, SetFunction

T_PC = "tests/test_proofs_check.py::test_quick_run_verifies_all_21_items"
T_MUT = "tests/test_proofs_check.py::test_every_mutant_is_refuted"


# ----------------------------------------------------------------------------- helpers
def _setfn_range(cfg: Config) -> range:
    return range(2, 5 if cfg.quick else 7)


def _nr(cfg: Config) -> str:
    """``"n=2..N"``: the set-function sizes of the symbolic checks."""
    r = _setfn_range(cfg)
    return f"n={r.start}..{r.stop - 1}"


def _curve_range(cfg: Config) -> range:
    return range(2, 8 if cfg.quick else 10)


def _random_curves(cfg: Config, item: int, count: int, n_max: int) -> list[tuple[str, np.ndarray]]:
    """Random nondecreasing curves (dense, sparse/step-like, single jumps)."""
    rng = cfg.rng(item)
    out = []
    for r in range(count):
        n = int(rng.integers(2, n_max + 1))
        kind = r % 3
        if kind == 0:
            dl = rng.exponential(size=n - 1)
        elif kind == 1:
            dl = rng.exponential(size=n - 1) * (rng.random(n - 1) < 0.3)
        else:
            dl = np.zeros(n - 1)
            dl[int(rng.integers(n - 1))] = 1.0
        out.append((f"random-curve(kind={kind}, r={r})", np.concatenate([[0.0], np.cumsum(dl)])))
    return out


def _curves(cfg: Config, item: int, n_max: int) -> list[tuple[str, np.ndarray]]:
    """Corpus curves (brute-force Def 3) plus random curves, all with ``n <= n_max``."""
    cs = [(c.name, c.Z) for c in corpus(cfg.seed, cfg.quick) if c.n <= n_max]
    return cs + _random_curves(cfg, item, 20 if cfg.quick else 60, n_max)


def _weights(sizes) -> list[int]:
    """``w_i = b_{t(i)} - i`` for ``i = 1..n-1``."""
    w, b = [], 0
    for s in sizes:
        b += s
        w += [b - i for i in range(b - s + 1, b + 1)]
    return w[:-1]


_RS_CACHE: dict[tuple[int, int, int], Case] = {}


def _rs(n: int, d: int, p: int) -> Case:
    """The [n, d] Reed–Solomon code over F_p as a brute-force case (table: mdmtheory.families)."""
    key = (n, d, p)
    if key not in _RS_CACHE:
        from mdmtheory import families as F

        mu = F.reed_solomon(n, d, p)
        _RS_CACHE[key] = Case(mu.name, np.array(mu.p), mu)
    return _RS_CACHE[key]


def _rs_shapes(cfg: Config) -> list[tuple[int, int]]:
    return [(3, 3), (4, 5)] + ([] if cfg.quick else [(5, 5)])


def _ratio(sizes, rule: str, shift: int = 0) -> Fraction:
    """Exact ``max_t (s_t - 1)/den_t`` (TC / DTC / min rules); ``shift`` only for mutants."""
    n, N, best = sum(sizes), 0, Fraction(0)
    for s in sizes:
        den = {"tc": n - N - 1, "dtc": N + 1, "min": min(n - N - 1, N + 1)}[rule] + shift
        if s > 1:
            best = max(best, Fraction(s - 1, den))
        N += s
    return best


# ============================================================================ items 1-6
@check(1, "Z_1 = 0 and Z is nondecreasing (Han)",
       tests=("tests/test_bounds.py::test_curve_totals_match_definitions", T_PC),
       mutation="Z is nonincreasing")
def item01(cfg: Config, tr: Tracker):
    mut = cfg.mut(1)
    sign = -1 if mut else 1
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        d = h.increments()
        # certificate: d_j - d_{j+1} = mean over (i, k, A) of I(X_i; X_k | X_A) >= 0
        for j in range(1, n):
            terms = []
            for i in range(n):
                for k in range(n):
                    if k == i:
                        continue
                    rest = [a for a in range(n) if a not in (i, k)]
                    for A in itertools.combinations(rest, j - 1):
                        mA = h.mask(A)
                        terms.append(h.sym[mA | 1 << i] + h.sym[mA | 1 << k]
                                     - h.sym[mA | 1 << i | 1 << k] - h.sym[mA])
            cert = sp.Add(*terms) / len(terms)
            tr.symbolic((d[j - 1] - d[j]) - sign * cert, {"n": n, "j": j})
        tr.symbolic(d[0] - d[0], {"n": n})  # Z_1 = d_1 - d_1
    tr.add_method(f"symbolic: Z_(j+1) - Z_j = mean I(X_i;X_k|X_A) >= 0, generic h, "
                  f"{_nr(cfg)}")
    from mdmtheory import information_curve

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        for src, Z in (("def13", c.Z), ("package", information_curve(c.mu))):
            ctx = lambda c=c, Z=Z, src=src: {**c.ctx(), "Z": Z.tolist(), "source": src}
            tr.eq(Z[0], 0.0, ctx)
            if Z.size > 1:
                dz = np.diff(Z) * sign
                tr.le(-float(dz.min()), 0.0, ctx)
    tr.add_method(f"randomized: Def 3 brute force and package curve, {len(cs)} distributions")


@check(2, "Z_j = d_1 - d_j with d_j = e(j) - e(j-1)",
       tests=("tests/test_bounds.py::test_curve_totals_match_definitions", T_PC),
       mutation="Z_j = d_2 - d_j")
def item02(cfg: Config, tr: Tracker):
    first = 1 if cfg.mut(2) else 0
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        Z, d = h.curve_def13(), h.increments()
        for j in range(n):
            tr.symbolic(Z[j] - (d[first] - d[j]), {"n": n, "j": j + 1})
    tr.add_method(f"symbolic: Def 3 vs profile form, generic h, {_nr(cfg)}")
    from mdmtheory import curve_from_profile, entropy_profile

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        d = np.diff(entropy_profile(c.mu))
        Zp = d[first] - d
        ctx = lambda c=c, Zp=Zp: {**c.ctx(), "Z_def13": c.Z.tolist(), "Z_profile": Zp.tolist()}
        tr.eq(float(np.max(np.abs(c.Z - Zp))), 0.0, ctx)
        if not cfg.mut(2):
            tr.eq(float(np.max(np.abs(curve_from_profile(entropy_profile(c.mu)) - c.Z))), 0.0, ctx)
    tr.add_method(f"randomized: package profile vs Def 3 brute force, {len(cs)} distributions")


@check(3, "sum_j Z_j = TC",
       tests=("tests/test_bounds.py::test_curve_totals_match_definitions", T_PC),
       mutation="sum_j Z_j = TC + Z_n")
def item03(cfg: Config, tr: Tracker):
    extra = cfg.mut(3)
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        Z = h.curve_def13()
        tr.symbolic(sp.Add(*Z) - (h.tc() + (Z[-1] if extra else 0)), {"n": n})
    tr.add_method(f"symbolic: generic h, {_nr(cfg)}")
    from mdmtheory import information_curve, total_correlation

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        ctx = c.ctx
        rhs = c.tc + (c.Z[-1] if extra else 0.0)
        tr.eq(c.Z.sum(), rhs, ctx)
        tr.eq(information_curve(c.mu).sum(), total_correlation(c.mu) + (c.Z[-1] if extra else 0),
              ctx)
    tr.add_method(f"randomized: {len(cs)} distributions (brute force and package)")


@check(4, "n Z_n - TC = DTC, i.e. sum_j (Z_n - Z_j) = DTC",
       tests=("tests/test_bounds.py::test_curve_totals_match_definitions", T_PC),
       mutation="n Z_n + TC = DTC")
def item04(cfg: Config, tr: Tracker):
    sgn = 1 if cfg.mut(4) else -1
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        Z = h.curve_def13()
        tr.symbolic(n * Z[-1] + sgn * sp.Add(*Z) - h.dtc(), {"n": n})
    tr.add_method(f"symbolic: generic h, {_nr(cfg)}")
    from mdmtheory import dual_total_correlation, information_curve

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        tr.eq(c.n * c.Z[-1] + sgn * c.Z.sum(), c.dtc, c.ctx)
        Zp = information_curve(c.mu)
        tr.eq(c.n * Zp[-1] + sgn * Zp.sum(), dual_total_correlation(c.mu), c.ctx)
    tr.add_method(f"randomized: {len(cs)} distributions (brute force and package)")


@check(5, "n Z_n = sum_i I(X_i; X_-i)",
       tests=("tests/test_bounds.py::test_uniform_step_bound_holds", T_PC),
       mutation="(n-1) Z_n = sum_i I(X_i; X_-i)")
def item05(cfg: Config, tr: Tracker):
    shift = 1 if cfg.mut(5) else 0
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        Z = h.curve_def13()
        f = h.full
        mi = sp.Add(*[h.sym[1 << i] + h.sym[f & ~(1 << i)] - h.sym[f] for i in range(n)])
        tr.symbolic((n - shift) * Z[-1] - mi, {"n": n})
    tr.add_method(f"symbolic: generic h, {_nr(cfg)}")
    from mdmtheory import mutual_information_sum

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        f = (1 << c.n) - 1
        mi = sum(c.H[1 << i] + c.H[f & ~(1 << i)] - c.H[f] for i in range(c.n))
        tr.eq((c.n - shift) * c.Z[-1], mi, c.ctx)
        tr.eq(mutual_information_sum(c.mu), mi, c.ctx)
    tr.add_method(f"randomized: {len(cs)} distributions")


@check(6, "Z_2 = mean over ordered pairs i != i' of I(X_i; X_i')",
       tests=(T_PC,), mutation="Z_n = mean pairwise mutual information")
def item06(cfg: Config, tr: Tracker):
    mut = cfg.mut(6)
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        d = h.increments()
        pairs = [h.mi(i, [k]) for i in range(n) for k in range(n) if k != i]
        lhs = (d[0] - d[-1]) if mut else (d[0] - d[1])
        tr.symbolic(lhs - sp.Add(*pairs) / len(pairs), {"n": n})
    tr.add_method(f"symbolic: profile form d_1 - d_2 vs pair average, generic h, {_nr(cfg)}")
    from mdmtheory import information_curve, pairwise_mutual_information

    cs = [c for c in corpus(cfg.seed, cfg.quick) if c.n >= 2]
    for c in cs:
        M = pairwise_mutual_information(c.mu)
        pkg = (M.sum() - np.trace(M)) / (c.n * (c.n - 1))
        own = np.mean([c.H[1 << i] + c.H[1 << k] - c.H[(1 << i) | (1 << k)]
                       for i in range(c.n) for k in range(c.n) if k != i])
        Zp = information_curve(c.mu)
        tr.eq(Zp[-1] if mut else Zp[1], own, c.ctx)
        tr.eq(pkg, own, c.ctx)
    tr.add_method(f"randomized: {len(cs)} distributions")


# ============================================================================ items 7-10
@check(7, "Thm 4: E_S KL(mu||nu^S) = sum_t sum_{j in B_t} (Z_j - Z_{a_t}) for every s",
       tests=("tests/test_hardness.py::test_mds_error_matches_sampler_brute_force", T_PC),
       mutation="right Riemann sum: E_S KL = sum_t sum_{j in B_t} (Z_j - Z_{b_t})")
def item07(cfg: Config, tr: Tracker):
    mut = cfg.mut(7)

    def rhs_error(Zf, sizes):  # Zf: callable j -> Z_j (1-based)
        out, a = [], 1
        for s in sizes:
            ref = Zf(a + s - 1) if mut else Zf(a)
            out += [Zf(j) - ref for j in range(a, a + s)]
            a += s
        return out

    for n in range(2, 4 if cfg.quick else 6):
        h = SetFunction(n)
        Z = h.curve_def13()
        for sizes in brute.compositions(n):
            parts = list(brute.ordered_partitions(n, sizes))
            terms = []
            for part in parts:
                U: list[int] = []
                for S in part:
                    terms.append(h.tc(S, given=U))
                    U += list(S)
            lhs = sp.Add(*terms) / len(parts)
            tr.symbolic(lhs - sp.Add(*rhs_error(lambda j: Z[j - 1], sizes)),
                        {"n": n, "sizes": list(sizes)})
    tr.add_method("symbolic: E_S sum_t TC(S_t|U_t) over all ordered partitions, generic h, "
                  f"n<={3 if cfg.quick else 5}, every composition")
    from mdmtheory import information_curve
    from mdmtheory.schedule import left_riemann_error

    cs = sampler_cases(cfg.seed, cfg.quick)
    parts = 0
    for c in cs:
        Zp = information_curve(c.mu)
        for sizes in brute.compositions(c.n):
            ekl, _, m = c.sampler.expected_kl(sizes)
            parts += m
            ctx = lambda c=c, sizes=sizes, ekl=ekl: {**c.ctx(), "sizes": list(sizes),
                                                     "sampler_EKL": ekl}
            tr.eq(ekl, sum(rhs_error(lambda j: c.Z[j - 1], sizes)), ctx)
            if not mut:
                tr.eq(ekl, left_riemann_error(Zp, sizes), ctx)
    tr.add_method(f"randomized: exact sampler over all {parts} ordered partitions x "
                  f"{len(cs)} distributions vs Def 3 curve and package")
    try:
        from mdmtheory.sampler import exact_sampler_errors
    except ImportError:  # pragma: no cover
        return "package sampler absent: checked against the brute-force sampler only"
    if mut:
        return None
    pk = [c for c in cs if c.n <= 4]
    for c in pk:
        for sizes in brute.compositions(c.n):
            ekl, _, _ = c.sampler.expected_kl(sizes)
            tr.eq(exact_sampler_errors(c.mu, list(sizes)).expected_kl, ekl,
                  lambda c=c, sizes=sizes: {**c.ctx(), "sizes": list(sizes)})
    tr.add_method(f"randomized: package sampler (mdmtheory.sampler) vs brute force, "
                  f"{len(pk)} distributions with n<=4")
    return None


@check(8, "fixed sets: KL(mu||nu^S) = sum_t TC(X_{S_t} | X_{U_t})",
       tests=(T_PC,), mutation="KL(mu||nu^S) = sum_t TC(X_{S_t}) (no conditioning)")
def item08(cfg: Config, tr: Tracker):
    mut = cfg.mut(8)
    from mdmtheory import conditional_total_correlation

    cs = sampler_cases(cfg.seed, cfg.quick)
    for c in cs:
        H = c.H
        checked_pkg = 0
        for sizes in brute.compositions(c.n):
            for part in brute.ordered_partitions(c.n, sizes):
                kl = c.sampler.kl_fixed(part)
                tc, U = 0.0, 0
                for S in part:
                    mS = sum(1 << i for i in S)
                    B = 0 if mut else U
                    tc += sum(H[B | 1 << i] - H[B] for i in S) - (H[B | mS] - H[B])
                    U |= mS
                ctx = lambda c=c, part=part, kl=kl: {**c.ctx(),
                                                     "partition": [list(S) for S in part],
                                                     "KL": kl}
                tr.eq(kl, tc, ctx)
                if checked_pkg < 6 and not mut:  # package's conditional TC on a few
                    checked_pkg += 1
                    U2: list[int] = []
                    pkg = 0.0
                    for S in part:
                        pkg += conditional_total_correlation(c.mu, list(S), U2)
                        U2 += list(S)
                    tr.eq(kl, pkg, ctx)
    tr.add_method(f"randomized: every ordered partition, {len(cs)} distributions, "
                  "nu^S built from the conditional oracle")


@check(9, "k = 1 gives TC, k = n gives 0, splitting a block never increases E KL",
       tests=("tests/test_bounds.py::test_tc_rule_bound_holds", T_PC),
       mutation="k = 1 gives DTC")
def item09(cfg: Config, tr: Tracker):
    mut = cfg.mut(9)
    for n in _curve_range(cfg):
        C = Curve(n)
        tr.symbolic(C.error((n,)) - (C.dtc() if mut else C.tc()), {"n": n})
        tr.symbolic(C.error((1,) * n), {"n": n})
        for a in range(1, n + 1):
            for b in range(a + 1, n + 1):
                for m in range(a, b):
                    gain = C.block_cost(a, b) - C.block_cost(a, m) - C.block_cost(m + 1, b)
                    tr.symbolic(gain - (b - m) * (C.z(m + 1) - C.z(a)), {"n": n, "a": a, "m": m,
                                                                      "b": b})
                    cf = C.coefficients(gain)
                    tr.fact(all(x >= 0 for x in cf), {"n": n, "a": a, "m": m, "b": b})
    tr.add_method("symbolic: split gain = (b-m)(Z_(m+1) - Z_a), nonnegative coefficients "
                  f"on delta, n<={_curve_range(cfg).stop - 1}")
    cs = sampler_cases(cfg.seed, cfg.quick)
    for c in cs:
        err = {s: c.sampler.expected_kl(s)[0] for s in brute.compositions(c.n)}
        tr.eq(err[(c.n,)], c.dtc if mut else c.tc, c.ctx)
        tr.eq(err[(1,) * c.n], 0.0, c.ctx)
        for s, e in err.items():
            for t, st in enumerate(s):
                for cut in range(1, st):
                    finer = s[:t] + (cut, st - cut) + s[t + 1:]
                    tr.le(err[finer], e, lambda c=c, s=s, finer=finer: {
                        **c.ctx(), "sizes": list(s), "refined": list(finer)})
    tr.add_method(f"randomized: exact sampler, every composition and split, {len(cs)} "
                  "distributions")


@check(10, "weight form: E KL = sum_i w_i delta_i, w_i = b_{t(i)} - i",
       tests=(T_PC,), mutation="w_i = b_{t(i)} - i + 1")
def item10(cfg: Config, tr: Tracker):
    plus = 1 if cfg.mut(10) else 0
    for n in _curve_range(cfg):
        C = Curve(n)
        for s in brute.compositions(n):
            w = _weights(s)
            tr.symbolic(C.error(s) - sp.Add(*[(wi + plus) * dl for wi, dl in zip(w, C.delta)]),
                        {"n": n, "sizes": list(s)})
    tr.add_method(f"symbolic: generic curve, every composition, n<={_curve_range(cfg).stop - 1}")
    from mdmtheory.schedule import left_riemann_error, riemann_weights, weight_form_error

    curves = _curves(cfg, 10, 7)
    for name, Z in curves:
        for s in brute.compositions(Z.size):
            ctx = lambda name=name, Z=Z, s=s: {"curve": name, "Z": Z.tolist(), "sizes": list(s)}
            w = np.array(_weights(s), dtype=float) + plus
            tr.eq(float(w @ np.diff(Z)), brute.riemann_error(Z, s), ctx)
            if not plus:
                tr.eq(weight_form_error(Z, s), left_riemann_error(Z, s), ctx)
                tr.eq(float(np.max(np.abs(riemann_weights(s) - w), initial=0.0)), 0.0, ctx)
    tr.add_method(f"randomized: {len(curves)} curves x every composition (package and brute)")


# ============================================================================ items 11-12
@check(11, "DP optimum = brute-force min over all C(n-1,k-1) compositions <= any k-step error",
       tests=(T_PC,), mutation="DP that never tries the split m' = m - 1")
def item11(cfg: Config, tr: Tracker):
    mut = cfg.mut(11)
    try:
        from mdmtheory.optimal import optimal_schedule
    except ImportError:  # pragma: no cover - package without the sampler
        optimal_schedule = None
    curves = _curves(cfg, 11, 7 if cfg.quick else 9)
    for name, Z in curves:
        n = Z.size
        errs: dict[int, list[float]] = {}
        for s in brute.compositions(n):
            errs.setdefault(len(s), []).append(brute.riemann_error(Z, s))
        for k in range(1, n + 1):
            best = min(errs[k])
            ctx = lambda name=name, Z=Z, k=k, best=best: {"curve": name, "Z": Z.tolist(),
                                                          "k": k, "brute_min": best}
            dp = _dp_mutant(Z, k) if mut else brute.dp_opt(Z, k)
            tr.eq(dp, best, ctx)
            if optimal_schedule is not None and not mut:
                res = optimal_schedule(Z, k)
                tr.eq(res.error, best, ctx)
                tr.fact(res.schedule.k == k and res.schedule.n == n, ctx)
                tr.eq(brute.riemann_error(Z, res.schedule.tolist()), best, ctx)
                tr.le(res.error, max(errs[k]), ctx)  # <= every k-step schedule's error
    tr.add_method(f"randomized: {len(curves)} curves (corpus and random), every k, "
                  "own DP and package optimal_schedule vs all compositions")
    return None if optimal_schedule is not None else "mdmtheory.optimal absent: own DP only"


def _dp_mutant(Z: np.ndarray, k: int) -> float:
    """A wrong DP for the self-test: the last split point ``m' = m - 1`` is never tried."""
    n = len(Z)
    P = np.concatenate([[0.0], np.cumsum(Z)])
    F = np.full((k + 1, n + 1), np.inf)
    F[0, 0] = 0.0
    for t in range(1, k + 1):
        for m in range(t, n + 1):
            F[t, m] = min((F[t - 1, mp] + P[m] - P[mp] - (m - mp) * Z[mp]
                           for mp in range(t - 1, m - 1)), default=np.inf)
    return float(F[k, n])


@check(12, "OPT_k is nonincreasing and convex in k; the block cost c is Monge",
       tests=(T_PC,), mutation="OPT_k is concave in k")
def item12(cfg: Config, tr: Tracker):
    mut = cfg.mut(12)
    for n in _curve_range(cfg):
        C = Curve(n)
        for i in range(0, n):
            for ip in range(i, n):
                for m in range(ip + 1, n + 1):
                    for mp in range(m, n + 1):
                        ex = (C.block_cost(i + 1, mp) + C.block_cost(ip + 1, m)
                              - C.block_cost(i + 1, m) - C.block_cost(ip + 1, mp))
                        tr.symbolic(ex - (mp - m) * (C.z(ip + 1) - C.z(i + 1)),
                                    {"n": n, "quad": [i, ip, m, mp]})
                        cf = C.coefficients(ex)
                        tr.fact(all(x >= 0 for x in cf), {"n": n, "quad": [i, ip, m, mp]})
    tr.add_method("symbolic: Monge exchange = (m'-m)(Z_(i'+1) - Z_(i+1)) >= 0, generic curve, "
                  f"n<={_curve_range(cfg).stop - 1}")
    try:
        from mdmtheory.optimal import optimal_frontier
    except ImportError:  # pragma: no cover
        optimal_frontier = None
    curves = _curves(cfg, 12, 7 if cfg.quick else 9)
    sign = -1 if mut else 1
    for name, Z in curves:
        n = Z.size
        opt = np.array([brute.brute_opt(Z, k)[0] for k in range(1, n + 1)])
        ctx = lambda name=name, Z=Z, opt=opt: {"curve": name, "Z": Z.tolist(),
                                               "OPT": opt.tolist()}
        if n >= 2:
            tr.le(float(np.max(np.diff(opt))), 0.0, ctx)
        if n >= 3:
            # convex: second differences >= 0 (the mutant claims <= 0)
            tr.le(float(np.max(-sign * np.diff(opt, 2))), 0.0, ctx)
        if optimal_frontier is not None and not mut:
            tr.eq(float(np.max(np.abs(optimal_frontier(Z).errors - opt))), 0.0, ctx)
    tr.add_method(f"randomized: OPT_k by brute force on {len(curves)} curves"
                  + (", package frontier" if optimal_frontier is not None else ""))


# ============================================================================ items 13-15
def _rule_item(cfg: Config, tr: Tracker, item: int, rule: str) -> None:
    """Items 13 (rule='tc') and 14 (rule='dtc'); the min rule is checked in item 21."""
    mut = cfg.mut(item)
    shift = 1 if mut else 0
    # 1. symbolic certificate for symbolic n, i, a = a_t, s = s_t, lam
    n_, i_, a_, s_, lam = sp.symbols("n i a s lambda", real=True)
    w = a_ + s_ - 1 - i_
    if rule == "tc":
        slack = lam * (n_ - i_) - w
        cert = (lam * (n_ - a_ + shift) - (s_ - 1)) + (1 - lam) * (i_ - a_)
    else:
        slack = lam * i_ - w
        cert = (lam * (a_ + shift) - (s_ - 1)) + (1 + lam) * (i_ - a_)
    tr.symbolic(slack - cert, {"rule": rule})
    tr.add_method("symbolic: coefficient certificate for symbolic n, i, a_t, s_t, lambda")
    # 2. per schedule: lam * TC - E KL has nonnegative delta-coefficients (exact lambda)
    for n in _curve_range(cfg):
        C = Curve(n)
        target = C.tc() if rule == "tc" else C.dtc()
        for s in brute.compositions(n):
            lam_s = _ratio(s, rule, shift)
            cf = C.coefficients(sp.Rational(lam_s.numerator, lam_s.denominator) * target
                                - C.error(s))
            tr.fact(all(x >= 0 for x in cf), {"n": n, "sizes": list(s), "lambda": str(lam_s)})
    tr.add_method(f"symbolic: lambda*{rule.upper()} - E KL coefficient-wise >= 0 for every "
                  f"composition, n<={_curve_range(cfg).stop - 1}")
    # 3. numeric: package bound on corpus distributions; tightness on MDS codes
    from mdmtheory import bounds

    fn = bounds.tc_rule_bound if rule == "tc" else bounds.dtc_rule_bound
    cs = [c for c in corpus(cfg.seed, cfg.quick) if c.n <= 6]
    for c in cs:
        total = c.tc if rule == "tc" else c.dtc
        for s in brute.compositions(c.n):
            e = brute.riemann_error(c.Z, s)
            ctx = lambda c=c, s=s, e=e: {**c.ctx(), "sizes": list(s), "EKL": e}
            tr.le(e, float(_ratio(s, rule, shift)) * total, ctx)
            if not mut:
                tr.le(e, fn(c.mu, s), ctx)
                tr.eq(fn(c.mu, s), float(_ratio(s, rule)) * total, ctx)
    tr.add_method(f"randomized: every composition x {len(cs)} distributions (package bound)")
    ntight = 0
    for n, p in _rs_shapes(cfg):
        for s in brute.compositions(n):
            if max(s) == 1:
                continue
            d = bounds.extremal_code_dimension(s, rule)
            code = _rs(n, d, p)
            e = brute.riemann_error(code.Z, s)
            total = code.tc if rule == "tc" else code.dtc
            ctx = lambda s=s, d=d, p=p, e=e: {"code": [sum(s), d, p],
                                              "sizes": list(s), "EKL": e}
            tr.eq(e, float(_ratio(s, rule, shift)) * total, ctx)
            ntight += 1
    tr.add_method(f"tightness: attained (1e-9) on the MDS code [n, a_t] for {ntight} schedules")


@check(13, "s_t - 1 <= lam (R_t - 1) for all t  =>  E KL <= lam TC (tight on MDS codes)",
       tests=("tests/test_bounds.py::test_tc_rule_bound_holds",
              "tests/test_bounds.py::test_tc_rule_bound_tight_on_mds", T_PC),
       mutation="s_t - 1 <= lam R_t  =>  E KL <= lam TC (R_t instead of R_t - 1)")
def item13(cfg: Config, tr: Tracker):
    _rule_item(cfg, tr, 13, "tc")


@check(14, "s_t - 1 <= lam (N_{t-1} + 1) for all t  =>  E KL <= lam DTC (tight on MDS codes)",
       tests=("tests/test_bounds.py::test_dtc_rule_bound_holds",
              "tests/test_bounds.py::test_dtc_rule_bound_tight_on_mds", T_PC),
       mutation="s_t - 1 <= lam (N_{t-1} + 2)  =>  E KL <= lam DTC")
def item14(cfg: Config, tr: Tracker):
    _rule_item(cfg, tr, 14, "dtc")


@check(15, "E KL <= (max_t s_t - 1) Z_n <= (max_t s_t - 1) log q",
       tests=("tests/test_bounds.py::test_uniform_step_bound_holds",
              "tests/test_bounds.py::test_uniform_step_bound_tight_on_mds",
              "tests/test_bounds.py::test_li_cai_bound_holds_for_balanced", T_PC),
       mutation="E KL <= (max_t s_t - 2) Z_n")
def item15(cfg: Config, tr: Tracker):
    drop = 2 if cfg.mut(15) else 1
    for n in _curve_range(cfg):
        C = Curve(n)
        for s in brute.compositions(n):
            cf = C.coefficients((max(s) - drop) * C.z(n) - C.error(s))
            tr.fact(all(x >= 0 for x in cf), {"n": n, "sizes": list(s)})
    for n in _setfn_range(cfg):
        h = SetFunction(n)
        d = h.increments()
        f = h.full
        # d_1 - Z_n = d_n = mean_i H(X_i | X_-i) >= 0
        tr.symbolic(d[-1] - sp.Add(*[h.sym[f] - h.sym[f & ~(1 << i)] for i in range(n)]) / n,
                    {"n": n})
    tr.add_method(f"symbolic: (S-1) Z_n - E KL coefficient-wise >= 0 for every composition, "
                  f"n<={_curve_range(cfg).stop - 1}; Z_n = d_1 - mean_i H(X_i|X_-i), generic h")
    from mdmtheory import bounds

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        for s in brute.compositions(c.n):
            e = brute.riemann_error(c.Z, s)
            ctx = lambda c=c, s=s, e=e: {**c.ctx(), "sizes": list(s), "EKL": e}
            tr.le(e, (max(s) - drop) * c.Z[-1], ctx)
            tr.le(c.Z[-1], math.log(c.q), ctx)
            if drop == 1:
                tr.le(e, bounds.uniform_step_bound(c.mu, s), ctx)
                tr.le(bounds.uniform_step_bound(c.mu, s), bounds.alphabet_step_bound(c.mu, s),
                      ctx)
    tr.add_method(f"randomized: every composition x {len(cs)} distributions")
    nt = 0
    for n, p in _rs_shapes(cfg):
        for s in brute.compositions(n):
            if max(s) == 1:
                continue
            d = bounds.extremal_code_dimension(s, "uniform")
            code = _rs(n, d, p)
            e = brute.riemann_error(code.Z, s)
            tr.eq(e, (max(s) - drop) * math.log(p), {"code": [n, d, p], "sizes": list(s)})
            nt += 1
    tr.add_method(f"tightness: attained (1e-9) on the MDS code [n, a_t] of a longest block, "
                  f"{nt} schedules")


# ============================================================================ items 16-18
@check(16, "TC/(n-1) <= DTC <= (n-1) TC",
       tests=("tests/test_bounds.py::test_tc_dtc_comparison_holds",
              "tests/test_bounds.py::test_tc_dtc_comparison_tight_on_codes", T_PC),
       mutation="DTC <= (n-2) TC")
def item16(cfg: Config, tr: Tracker):
    up = 2 if cfg.mut(16) else 1
    n_, i_ = sp.symbols("n i", positive=True)
    # coefficient of delta_i: DTC - TC/(n-1) -> i - (n-i)/(n-1) = n(i-1)/(n-1)
    tr.symbolic(i_ - (n_ - i_) / (n_ - 1) - n_ * (i_ - 1) / (n_ - 1), {"part": "lower"})
    tr.symbolic((n_ - up) * (n_ - i_) - i_ - (n_ * (n_ - 1 - i_) + (1 - up) * (n_ - i_)),
                {"part": "upper"})
    for n in range(2, 12):
        C = Curve(n)
        tc, dtc = C.tc(), C.dtc()
        tr.fact(all(x >= 0 for x in C.coefficients(dtc - tc / (n - 1))), {"n": n})
        tr.fact(all(x >= 0 for x in C.coefficients((n - up) * tc - dtc)), {"n": n})
    tr.add_method("symbolic: delta-coefficients n(i-1)/(n-1) and n(n-1-i), n = 2..11 and "
                  "symbolic n")
    from mdmtheory import bounds, families as F

    cs = [c for c in corpus(cfg.seed, cfg.quick) if c.n >= 2]
    for c in cs:
        lo, dtc, hi = bounds.tc_dtc_comparison(c.mu)
        tr.eq(dtc, c.dtc, c.ctx)
        tr.le(c.tc / (c.n - 1), c.dtc, c.ctx)
        tr.le(c.dtc, (c.n - up) * c.tc, c.ctx)
        tr.le(lo, dtc, c.ctx)
        tr.le(dtc, hi, c.ctx)
    for n in range(2, 6):
        rep = Case("repetition", np.array(F.repetition(n, 3).p))
        par = Case("parity", np.array(F.parity(n, 3).p))
        tr.eq(rep.tc / (n - 1), rep.dtc, rep.ctx)
        tr.eq((n - up) * par.tc, par.dtc, par.ctx)
    tr.add_method(f"randomized: {len(cs)} distributions; equality on repetition/parity, n=2..5")


@check(17, "DTC = (n-1) TC - sum_i TC(X_-i)",
       tests=("tests/test_bounds.py::test_dtc_leave_one_out_identity", T_PC),
       mutation="DTC = (n-2) TC - sum_i TC(X_-i)")
def item17(cfg: Config, tr: Tracker):
    c0 = 2 if cfg.mut(17) else 1
    for n in range(2, 5 if cfg.quick else 7):
        h = SetFunction(n)
        loo = sp.Add(*[h.tc([a for a in range(n) if a != i]) for i in range(n)])
        tr.symbolic(h.dtc() - ((n - c0) * h.tc() - loo), {"n": n})
    tr.add_method(f"symbolic: generic h, {_nr(cfg)}")
    from mdmtheory import bounds

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        f = (1 << c.n) - 1
        loo = 0.0
        for i in range(c.n):
            m = f & ~(1 << i)
            loo += sum(c.H[1 << a] for a in range(c.n) if a != i) - c.H[m]
        tr.eq(c.dtc, (c.n - c0) * c.tc - loo, c.ctx)
        if c0 == 1:
            tr.eq(bounds.dtc_leave_one_out_identity(c.mu), c.dtc, c.ctx)
    tr.add_method(f"randomized: {len(cs)} distributions")


@check(18, "E_{|U|=m} TC(X_{U^c}|X_U) = sum_{j>m} (Z_j - Z_{m+1}) <= ((n-m)/(m+1)) DTC",
       tests=("tests/test_bounds.py::test_residual_tc_matches_brute_force",
              "tests/test_bounds.py::test_pinning_bound_holds",
              "tests/test_bounds.py::test_sharp_pinning_bound_tight_on_mds", T_PC),
       mutation="... <= ((n-m-1)/(m+2)) DTC")
def item18(cfg: Config, tr: Tracker):
    mut = cfg.mut(18)

    def const(n, m):
        return sp.Rational(n - m - 1, m + 2) if mut else sp.Rational(n - m, m + 1)

    for n in _setfn_range(cfg):
        h = SetFunction(n)
        Z = h.curve_def13()
        for m in range(0, n + 1):
            Us = list(itertools.combinations(range(n), m))
            lhs = sp.Add(*[h.tc([a for a in range(n) if a not in U], given=U)
                           for U in Us]) / len(Us)
            rhs = sp.Add(*[Z[j - 1] - Z[m] for j in range(m + 1, n + 1)]) if m < n else 0
            tr.symbolic(lhs - rhs, {"n": n, "m": m})
    for n in _curve_range(cfg):
        C = Curve(n)
        for m in range(0, n):
            resid = sp.Add(*[C.z(j) - C.z(m + 1) for j in range(m + 1, n + 1)])
            tr.fact(all(x >= 0 for x in C.coefficients(const(n, m) * C.dtc() - resid)),
                    {"n": n, "m": m})
            sharp = sp.Rational(n - m - 1, m + 1)
            tr.fact(all(x >= 0 for x in C.coefficients(sharp * C.dtc() - resid)),
                    {"n": n, "m": m, "sharp": True})
    tr.add_method(f"symbolic: equality over generic h (n<={_setfn_range(cfg).stop - 1}); "
                  "inequality coefficient-wise over a generic curve (also with the sharper "
                  "(n-m-1)/(m+1))")
    from mdmtheory import bounds

    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        n = c.n
        for m in range(0, n + 1):
            Us = list(itertools.combinations(range(n), m))
            brute_val = 0.0
            for U in Us:
                mU = sum(1 << a for a in U)
                rest = [a for a in range(n) if a not in U]
                brute_val += (sum(c.H[mU | 1 << a] - c.H[mU] for a in rest)
                              - (c.H[(1 << n) - 1] - c.H[mU]))
            brute_val /= len(Us)
            ctx = lambda c=c, m=m, v=brute_val: {**c.ctx(), "m": m, "E_TC": v}
            tr.eq(brute_val, float(np.sum(c.Z[m:] - c.Z[m])) if m < n else 0.0, ctx)
            if m < n:
                tr.le(brute_val, float(const(n, m)) * c.dtc, ctx)
            if not mut:
                tr.eq(bounds.residual_total_correlation(c.mu, m), brute_val, ctx)
                tr.le(brute_val, bounds.pinning_bound(c.mu, m), ctx)
                tr.le(brute_val, bounds.pinning_bound(c.mu, m, sharp=True), ctx)
    tr.add_method(f"randomized: every m, every U, {len(cs)} distributions")
    for n, p in _rs_shapes(cfg):
        for m in range(0, n - 1):
            code = _rs(n, m + 1, p)
            resid = float(np.sum(code.Z[m:] - code.Z[m]))
            tr.eq(resid, (n - m - 1) / (m + 1) * code.dtc, {"code": [n, m + 1, p], "m": m})
    tr.add_method("tightness: sharp constant attained on MDS [n, m+1]")


# ============================================================================ items 19-21
@check(19, "[n,d] MDS code: Z steps at d+1; E KL = (N_{t*} - d) log q unless the crossing "
           "block starts at d+1 (then 0)",
       tests=("tests/test_hardness.py::test_mds_curve_and_totals",
              "tests/test_hardness.py::test_mds_error_closed_form_matches_exact",
              "tests/test_hardness.py::test_mds_error_matches_sampler_brute_force",
              "tests/test_hardness.py::test_indistinguishable_before_d", T_PC),
       mutation="E KL = (N_{t*} - d + 1) log q")
def item19(cfg: Config, tr: Tracker):
    plus = 1 if cfg.mut(19) else 0
    from mdmtheory import hardness

    def closed(s, d, p):  # own closed form, independent of hardness.mds_error
        N = 0
        for x in s:
            if N == d:  # the block containing d+1 starts at d+1
                return 0.0
            if N < d < N + x:  # the block crosses d
                return (N + x - d + plus) * math.log(p)
            N += x
        return 0.0  # d = n: the uniform law

    shapes = _rs_shapes(cfg)
    ncodes = 0
    for n, p in shapes:
        for d in range(1, n + 1):
            code = _rs(n, d, p)
            ncodes += 1
            Zc = np.where(np.arange(1, n + 1) > d, math.log(p), 0.0)
            tr.eq(float(np.max(np.abs(code.Z - Zc))), 0.0, {"code": [n, d, p]})
            tr.eq(code.tc, (n - d) * math.log(p), {"code": [n, d, p]})
            # DTC = d log p for d < n; the uniform law (d = n) has DTC = 0
            tr.eq(code.dtc, (d if d < n else 0) * math.log(p), {"code": [n, d, p]})
            rep = hardness.indistinguishability_report(code.mu, depth=d)
            tr.fact(rep.indistinguishable, {"code": [n, d, p], "report": str(rep)})
            tr.fact(hardness.distinguishing_depth(code.mu) == (d if d < n else None),
                    {"code": [n, d, p]})
            for s in brute.compositions(n):
                e = brute.riemann_error(code.Z, s)
                ctx = lambda s=s, d=d, p=p, e=e: {"code": [sum(s), d, p],
                                                  "sizes": list(s), "EKL": e}
                tr.eq(e, closed(s, d, p), ctx)
                if not plus:
                    tr.eq(e, hardness.mds_error(s, d, p), ctx)
                if n <= 4:
                    tr.eq(code.sampler.expected_kl(s)[0], closed(s, d, p), ctx)
    tr.add_method(f"exhaustive: {ncodes} Reed-Solomon codes, every composition (Def 3, "
                  "exact sampler for n<=4), indistinguishability over every context |U|<d")
    # lower bound on rounds: min k over all schedules good for every member
    for n, p in shapes:
        for m in range(0, n):
            eps = m * math.log(p) + 0.5 * math.log(p)
            best = min(len(s) for s in brute.compositions(n)
                       if all(closed(s, d, p) <= eps for d in range(1, n + 1)))
            tr.eq(best, hardness.min_rounds_for_family(n, p, eps), {"n": n, "p": p, "eps": eps})
    tr.add_method("exhaustive: round lower bound vs search over all compositions")


@check(20, "KL(mu || E_S nu^S) <= E_S KL(mu || nu^S)",
       tests=(T_PC,), mutation="E_S KL(mu || nu^S) <= KL(mu || E_S nu^S)")
def item20(cfg: Config, tr: Tracker):
    mut = cfg.mut(20)
    cs = sampler_cases(cfg.seed, cfg.quick)
    for c in cs:
        for s in brute.compositions(c.n):
            ekl, klmix, _ = c.sampler.expected_kl(s)
            ctx = lambda c=c, s=s, a=ekl, b=klmix: {**c.ctx(), "sizes": list(s),
                                                    "E_KL": a, "KL_of_mixture": b}
            if mut:
                tr.le(ekl, klmix, ctx)
            else:
                tr.le(klmix, ekl, ctx)
    tr.add_method(f"randomized: exact sampler, every composition, {len(cs)} distributions")
    try:
        from mdmtheory.sampler import exact_sampler_errors
    except ImportError:  # pragma: no cover
        return "package sampler absent: brute-force sampler only"
    if mut:
        return None
    pk = [c for c in cs if c.n <= 4]
    for c in pk:
        for s in brute.compositions(c.n):
            res = exact_sampler_errors(c.mu, list(s))
            _, klmix, _ = c.sampler.expected_kl(s)
            tr.eq(res.output_kl, klmix, c.ctx)
            tr.le(res.output_kl, res.expected_kl, c.ctx)
    tr.add_method(f"randomized: package sampler's KL(mu||E nu) vs brute force, {len(pk)} "
                  "distributions with n<=4")
    return None


@check(21, "greedy TC/DTC/min rules satisfy their condition and bound, with the fewest steps",
       tests=("tests/test_bounds.py::test_min_rule_bound_holds",
              "tests/test_bounds.py::test_min_rule_bound_tight_on_mds",
              "tests/test_bounds.py::test_certified_lambda_of_greedy_schedules", T_PC),
       mutation="greedy with one extra token per step, s_t = 2 + floor(lam den_t)")
def item21(cfg: Config, tr: Tracker):
    extra = 1 if cfg.mut(21) else 0
    try:
        from mdmtheory import schedule_rules as SR
        pkg = {"tc": SR.tc_greedy_schedule, "dtc": SR.dtc_greedy_schedule,
               "min": SR.min_greedy_schedule}
    except (ImportError, AttributeError):  # pragma: no cover - package without the sampler
        pkg = None
    from mdmtheory import bounds

    lams = (0.05, 0.1, 0.2, 0.25, 1 / 3, 0.5, 0.7, 1.0)
    n_max = 9 if cfg.quick else 12
    comps = {n: list(brute.compositions(n)) for n in range(1, n_max + 1)}
    for n in range(1, n_max + 1):
        for rule in ("tc", "dtc", "min"):
            for lam in lams:
                g = brute.greedy(n, rule, lam, extra=extra)
                ctx = {"n": n, "rule": rule, "lambda": lam, "greedy": list(g)}
                tr.fact(brute.rule_ok(g, rule, lam), ctx)
                kmin = min(len(s) for s in comps[n] if brute.rule_ok(s, rule, lam))
                tr.fact(len(g) == kmin, {**ctx, "fewest": kmin})
                if pkg is not None and not extra:
                    tr.fact(pkg[rule](n, lam).tolist() == list(g), ctx)
                    tr.le(bounds.certified_lambda(g, rule), lam, ctx)
    tr.add_method(f"exhaustive: n<={n_max}, 3 rules x {len(lams)} lambdas, fewest steps vs all "
                  "compositions" + (", package greedy" if pkg else ""))
    # the bounds they guarantee, on the corpus
    cs = corpus(cfg.seed, cfg.quick)
    for c in cs:
        for rule in ("tc", "dtc", "min"):
            total = {"tc": c.tc, "dtc": c.dtc, "min": min(c.tc, c.dtc)}[rule]
            for lam in lams:
                g = brute.greedy(c.n, rule, lam, extra=extra)
                e = brute.riemann_error(c.Z, g)
                tr.le(e, lam * total, lambda c=c, g=g, rule=rule, lam=lam, e=e: {
                    **c.ctx(), "rule": rule, "lambda": lam, "greedy": list(g), "EKL": e})
                if not extra and rule == "min":
                    tr.le(e, bounds.min_rule_bound(c.mu, g, lam=lam), c.ctx)
    tr.add_method(f"randomized: guaranteed bounds on {len(cs)} distributions")
    # a reference step-count table (columns TC / DTC / both)
    table = {(10**3, 0.5): (10, 15, 23), (10**3, 0.1): (50, 53, 88),
             (10**3, 0.01): (292, 293, 456), (10**5, 0.5): (17, 27, 41),
             (10**5, 0.1): (93, 101, 180), (10**5, 0.01): (745, 751, 1357)}
    for (n, lam), counts in table.items():
        got = tuple(len(brute.greedy(n, rule, lam, extra=extra)) for rule in ("tc", "dtc", "min"))
        tr.fact(got == counts, {"n": n, "lambda": lam, "reference": counts, "greedy": got})
        if pkg is not None and not extra:
            tr.fact(tuple(pkg[r](n, lam).k for r in ("tc", "dtc", "min")) == counts,
                    {"n": n, "lambda": lam, "reference": counts})
    tr.add_method("exhaustive: reference step-count table (n = 1e3, 1e5)")
    return None if pkg is not None else "mdmtheory.schedule_rules absent: own greedy only"
