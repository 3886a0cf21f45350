"""Rows for Apps. E-G and the examples: Def 27, Lemmas 28-29, 33, 35; Thms 30-31; Rem 32;
Cor 34; Examples 1-2."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from .. import brute
from .._core import Config, Tracker
from ._base import (_bits_curve, _jump_curves, _random_tables, _riemann_bits, _sup_ratio,
                    _weights_py, paper)


# ============================================================================ App. E
@paper("Def 27", "f is k-piecewise if #{i : f(i) != f(i+1)} <= k; a k-step Z^N is (k-1)-piecewise",
       "lower_bound.count_pieces")
def def27(cfg: Config, tr: Tracker):
    from mdmtheory.lower_bound import count_pieces
    from mdmtheory.schedule import left_riemann_approximation

    rng = cfg.rng(2700)
    for n in range(2, 8):
        Z = np.concatenate([[0.0], np.cumsum(rng.exponential(size=n - 1))])
        for s in brute.compositions(n):
            tr.fact(count_pieces(left_riemann_approximation(Z, s)) <= len(s) - 1,
                    {"Z": Z.tolist(), "sizes": list(s)})
            # strictly increasing Z: every block boundary is a change, exactly k - 1
            tr.fact(count_pieces(left_riemann_approximation(Z, s)) == len(s) - 1,
                    {"sizes": list(s)})
    tr.add_method("exhaustive: every composition n <= 7 on a strictly increasing curve")


def _piecewise_l1(f: np.ndarray, pieces: int) -> float:
    """min ||f - h||_1 over h with at most ``pieces`` constant pieces (medians, exact DP)."""
    n = f.size
    P = np.concatenate([[0.0], np.cumsum(f)])
    a = np.arange(n)[:, None]
    b = np.arange(1, n + 1)[None, :]
    valid = b > a
    mid = np.where(valid, (a + b - 1) // 2, 0)
    med = f[mid]
    # cost of [a, b): sum |f - med| = med*(m-a) - (P[m]-P[a]) + (P[b]-P[m+1]) - med*(b-m-1) ...
    m = mid
    left = med * (m - a) - (P[m] - P[a])
    right = (P[np.minimum(b, n)] - P[m + 1]) - med * (b - m - 1)
    C = np.where(valid, np.abs(left) + np.abs(right), np.inf)  # f monotone: both sides one sign
    best = C[0].copy()
    for _ in range(pieces - 1):
        best = np.minimum(best, np.min(np.concatenate([[np.inf], best])[:n, None] + C, axis=0))
    return float(best[-1])


@paper("Lemma 28", "geometric-block f (nonincreasing, sum f <= 1): every k-piecewise h with "
       "k <= c ln n/eps has ||f - h||_1 >= (1-c)^2 eps/(16c)",
       "lower_bound.geometric_block_function",
       mutation="bound with 4c in place of 16c")
def lemma28(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory.lower_bound import geometric_block_function, lemma28_conditions

    n, eps = (256, 0.15) if cfg.quick else (512, 0.12)
    f = geometric_block_function(n, eps)
    tr.fact(lemma28_conditions(n, eps), {"n": n, "eps": eps})
    tr.fact(bool(np.all(f[1:] <= f[:-1])) and f.sum() <= 1, {"sum": float(f.sum())})
    const = 4 if mut else 16
    out = []
    for c in (0.1, 0.25, 0.5):
        k = int(c * math.log(n) / eps)
        if k < 1:
            continue
        opt = _piecewise_l1(f, k)  # k pieces, as the proof counts (Def 27 gives k+1: E15)
        out.append((c, k, opt / eps, _piecewise_l1(f, k + 1) / eps))
        tr.le((1 - c) ** 2 * eps / (const * c), opt, {"n": n, "eps": eps, "c": c, "k": k,
                                                       "opt": opt})
    tr.add_method(f"exact: optimal L1 approximation by k constant pieces, DP with medians, "
                  f"n={n}, eps={eps}: (c, k, OPT/eps with k pieces, with k+1 pieces) = "
                  + ", ".join(f"({c}, {k}, {v:.3f}, {w:.3f})" for c, k, v, w in out)
                  + "; bound (1-c)^2/(16c)")


@paper("Lemma 29", "realizability of curves (corrected: needs Z_1 = 0); exact for integer "
       "step curves",
       "hardness.realize_step_curve",
       uses=())
def lemma29(cfg: Config, tr: Tracker):
    from mdmtheory.hardness import realize_step_curve

    rng = cfg.rng(2900)
    for _ in range(3 if cfg.quick else 8):
        n = int(rng.integers(2, 4))
        inc = rng.integers(0, 2, n - 1)
        levels = [0] + list(np.cumsum(inc))
        if max(levels) > 2:
            continue
        mu = realize_step_curve(levels, 2)
        _, Z = _bits_curve(mu.p)
        tr.eq(float(np.max(np.abs(Z - np.array(levels, float)))), 0.0, {"levels": levels})
    tr.add_method("exact: integer step curves realised by layered MDS codes, curve by brute force "
                  "(bits); approximate realisation of general curves is the cited theorem "
                  "(Chen et al. 2009), not re-proved")


@paper("Thm 30", "some mu needs k > c ln n/eps steps for E KL = O(eps): OPT_k of the mirrored "
       "Lemma 28 curve is Omega(eps) for k <= c ln n/eps", "lower_bound.thm30_optimal_errors",
       uses=(11,))
def thm30(cfg: Config, tr: Tracker):
    from mdmtheory.lower_bound import geometric_block_curve, thm30_optimal_errors

    n, eps = (512, 0.12) if cfg.quick else (2048, 0.12)
    Z = geometric_block_curve(n, eps)
    tr.fact(bool(np.all(np.diff(Z) >= 0)) and Z[0] == 0)
    rows = []
    for c in (0.1, 0.25, 0.5):
        k = int(c * math.log(n) / eps)
        opt = float(thm30_optimal_errors(n, eps, [k])[0])
        rows.append((c, k, opt / eps))
        tr.le((1 - c) ** 2 * eps / (16 * c), opt, {"n": n, "eps": eps, "c": c, "k": k})
    tr.add_method(f"exact: DP on the mirrored curve n={n}, eps={eps}: (c, k, OPT_k/eps) = "
                  + ", ".join(f"({c}, {k}, {v:.3f})" for c, k, v in rows))


# ============================================================================ App. F
@paper("Thm 31", "Li-Cai: E KL <= ((2^ceil(log2 s_max) - 1)/n)(TC + DTC); sharper (s_max - 1) Z_n",
       "bounds.li_cai_power_bound, bounds.uniform_step_bound", uses=(15,),
       mutation="2^floor(log2 s_max) in place of 2^ceil")
def thm31(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import Distribution, bounds

    rng = cfg.rng(3100)
    cnt = 0
    for p in _random_tables(rng, 8 if cfg.quick else 30, 6, 2):
        H, Z = _bits_curve(p)
        n = p.ndim
        mu = Distribution(p)
        tot = brute.tc_def(H, n) + brute.dtc_def(H, n)
        for s in brute.compositions(n):
            e = _riemann_bits(Z, s)
            smax = max(s)
            power = 2 ** (math.floor(math.log2(smax)) if mut else math.ceil(math.log2(smax)))
            lit = (power - 1) / n * tot
            ctx = {"table": p.tolist(), "sizes": list(s)}
            tr.le(e, lit, ctx)
            tr.le(e, (smax - 1) * Z[-1], ctx)
            tr.eq(bounds.li_cai_power_bound(mu, s, base=2), lit if not mut else
                  bounds.li_cai_power_bound(mu, s, base=2), ctx)
            cnt += 1
    tr.add_method(f"exhaustive: every composition x random tables n<=6 ({cnt} cases, bits)")
    # single-jump curves (MDS codes, Prop 20), where the intermediate form is attained
    for n in range(2, 9):
        for d, Zj in _jump_curves(n):
            for s in brute.compositions(n):
                smax = max(s)
                power = 2 ** (math.floor(math.log2(smax)) if mut else math.ceil(math.log2(smax)))
                tot = float(np.sum(Zj)) + (n * Zj[-1] - float(np.sum(Zj)))
                e = _riemann_bits(Zj, s)
                tr.le(e, (power - 1) / n * tot, {"n": n, "d": d, "sizes": list(s)})
                tr.le(e, (smax - 1) * Zj[-1], {"n": n, "d": d, "sizes": list(s)})
    tr.add_method("worst case over all curves: every composition on every single-jump curve n<=8")


@paper("Rem 32", "uniform steps s = 1 + floor(eps/Z_n) give E KL <= eps in "
       "k = ceil(n/s) <= ceil((TC + DTC)/eps) queries", "paper_schedules.rem32_uniform_schedule",
       mutation="s = 2 + floor(eps/Z_n)")
def rem32(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import paper_schedules as P

    rng = cfg.rng(3200)
    for _ in range(300 if cfg.quick else 2000):
        n = int(rng.integers(2, 10001))
        zn = float(rng.uniform(0.01, 3))
        eps = float(10 ** rng.uniform(-2, 1))
        sch = P.rem32_uniform_schedule(n, zn, eps)
        if mut:
            s = min(n, 2 + math.floor(eps / zn))
            sch = P.PaperSchedule(tuple([s] * (n // s) + ([n % s] if n % s else [])), "m")
        ctx = {"n": n, "z_n": zn, "eps": eps, "k": sch.k}
        # worst case over all curves with this Z_n: sup E KL = Z_n max_i w_i
        tr.fact(max(_weights_py(sch.sizes) or [0]) * Fraction(zn) <= Fraction(eps), ctx)
        tr.fact(sch.k <= math.ceil(n * zn / eps) or sch.k == 1, ctx)
    tr.add_method("worst case over all curves: sup E KL = Z_n max_i w_i for given Z_n, "
                  f"{300 if cfg.quick else 2000} random (n <= 1e4, Z_n, eps)")
    cnt = 0
    for p in _random_tables(cfg.rng(3201), 12 if cfg.quick else 60, 7):
        H, Z = _bits_curve(p)
        n = p.ndim
        for eps in (0.05, 0.3, 1.0):
            sch = P.rem32_uniform_schedule(n, max(Z[-1], 1e-300), eps)
            e = _riemann_bits(Z, sch.sizes)
            tr.le(e, eps, {"table": p.tolist(), "eps": eps, "sizes": list(sch.sizes)})
            cnt += 1
    tr.add_method(f"exhaustive: {cnt} cases on random tables n<=7 (Def 3 curve by subset "
                  "enumeration, bits)")


@paper("Lemma 33", "Austin: some s <= DTC/delta^2 has E_{|S|=s}[TC + DTC(.|X_S)] <= delta^2 (n-s); "
       "ours: = (n-s)(Z_n - Z_{s+1}) <= (n-s) DTC/(s+1), so every s >= DTC/delta^2 - 1 works",
       "bounds.conditional_tc_plus_dtc, bounds.austin_lemma33_size", uses=(18,),
       mutation="identity with Z_s in place of Z_{s+1}")
def lemma33(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import Distribution, bounds

    rng = cfg.rng(3300)
    for p in _random_tables(rng, 6 if cfg.quick else 20, 5, 3):
        H, Z = _bits_curve(p)
        n = p.ndim
        full = (1 << n) - 1
        dtc = brute.dtc_def(H, n)
        mu = Distribution(p)
        for s in range(n + 1):
            vals = []
            for S in itertools.combinations(range(n), s):
                mS = sum(1 << i for i in S)
                rest = [i for i in range(n) if i not in S]
                HS = H[mS]
                tc = sum(H[mS | 1 << i] - HS for i in rest) - (H[full] - HS)
                dt = (H[full] - HS) - sum(H[full] - H[full & ~(1 << i)] for i in rest)
                vals.append(tc + dt)
            lhs = float(np.mean(vals))
            Zs = Z[s - 1] if (mut and s > 0) else (Z[s] if s < n else Z[-1])
            rhs = (n - s) * (Z[-1] - Zs) if s < n else 0.0
            ctx = {"table": p.tolist(), "s": s}
            tr.eq(lhs, rhs, ctx)
            if not mut:
                tr.eq(bounds.conditional_tc_plus_dtc(mu, s, base=2), lhs, ctx)
            tr.le(lhs, (n - s) * dtc / (s + 1), ctx)
            for d2 in (0.05, 0.3, 1.0):
                if s >= dtc / d2 - 1:
                    tr.le(lhs, d2 * (n - s), ctx)
        for d2 in (0.05, 0.3, 1.0):
            s0 = bounds.austin_lemma33_size(n, dtc, d2)
            tr.fact(s0 <= dtc / d2 + 1e-12)
    tr.add_method("exhaustive: conditional TC + DTC averaged over every S (subset entropies, "
                  "bits) vs (n-s)(Z_n - Z_{s+1}); bound for every s >= DTC/delta^2 - 1")


@paper("Cor 34", "DTC < delta^2 n: k = floor(DTC/delta^2)+1, s = (1^{k-1}, n-k+1) gives "
       "KL(mu||nu) <= delta^2 (n-k+1)", "paper_schedules.cor34_schedule, bounds.cor34_bound",
       mutation="k = floor(DTC/delta^2) (dropped +1)")
def cor34(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import Distribution, paper_schedules as P
    from mdmtheory.sampler import exact_sampler_errors

    rng = cfg.rng(3400)
    for p in _random_tables(rng, 6 if cfg.quick else 20, 5, 2):
        H, Z = _bits_curve(p)
        n = p.ndim
        dtc = brute.dtc_def(H, n)
        mu = Distribution(p)
        for d2 in (dtc / 1.5 + 1e-9, dtc / 2.5 + 1e-9, dtc + 0.1):
            if not dtc < d2 * n:
                continue
            sch = P.cor34_schedule(n, dtc, d2)
            if mut:
                k = max(1, math.floor(dtc / d2))
                sch = P.PaperSchedule(tuple([1] * (k - 1) + [n - k + 1]), "m")
            k = sch.k
            err = exact_sampler_errors(mu, sch.schedule, base=2)
            ctx = {"table": p.tolist(), "delta_sq": d2, "sizes": list(sch.sizes)}
            tr.le(err.output_kl, err.expected_kl, ctx)
            tr.le(err.expected_kl, (n - k + 1) * (Z[-1] - Z[k - 1]), ctx)
            tr.le(err.expected_kl, d2 * (n - k + 1), ctx)
            # worst case over all curves with DTC <= dtc
            tr.fact(Fraction(dtc) * _sup_ratio(sch.sizes, "dtc") <= Fraction(d2) * (n - k + 1),
                    ctx)
    for n in (10, 100, 1000, 10000):
        for ratio in (0.5, 1.5, 2.5, 7.3, 40.0):
            if ratio >= n:
                continue
            d2 = 1.0
            sch = P.cor34_schedule(n, ratio, d2)
            if mut:
                k = max(1, math.floor(ratio / d2))
                sch = P.PaperSchedule(tuple([1] * (k - 1) + [n - k + 1]), "m")
            worst_kl = Fraction(ratio) * _sup_ratio(sch.sizes, "dtc")
            tr.fact(worst_kl <= Fraction(d2) * (n - sch.k + 1),
                    {"n": n, "dtc_over_delta_sq": ratio, "k": sch.k})
    tr.add_method("worst case over all curves with DTC <= D: n in {10, ..., 1e4}")
    for p in _random_tables(cfg.rng(3401), 10 if cfg.quick else 40, 7, n_min=6):
        H, Z = _bits_curve(p)
        n = p.ndim
        dtc = brute.dtc_def(H, n)
        for d2 in (dtc / 1.5 + 1e-9, dtc / 3.5 + 1e-9):
            if not dtc < d2 * n:
                continue
            sch = P.cor34_schedule(n, dtc, d2)
            tr.le(_riemann_bits(Z, sch.sizes), d2 * (n - sch.k + 1),
                  {"table": p.tolist(), "delta_sq": d2})
    tr.add_method("exhaustive: Def 3 curve of random tables n=6,7 (bits), E KL <= delta^2(n-k+1)")
    tr.add_method("exhaustive: exact sampler (bits) on random tables n<=5, KL(mu||nu) <= E KL <= "
                  "(n-k+1)(Z_n-Z_k) <= delta^2(n-k+1); worst case over all curves")


# ============================================================================ App. G
@paper("Lemma 35", "learned oracle: E_S KL(mu||nu_hat^S) = E_S KL(mu||nu^S) + error(mu, CO_hat) "
       "(corrected sides, E13)",
       "decoupling.output_law_with_oracle, decoupling.learning_error_term",
       mutation="the paper's printed sides")
def lemma35(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import Distribution
    from mdmtheory.decoupling import exact_oracle, learning_error_term, output_law_with_oracle
    from mdmtheory.decoupling import perturbed_oracle

    rng = cfg.rng(3500)
    for r, p in enumerate(_random_tables(rng, 3 if cfg.quick else 8, 3, 2, n_min=3)):
        mu = Distribution(p)
        n = p.ndim
        hat = perturbed_oracle(mu, 0.3, seed=[cfg.seed, r])
        ex = exact_oracle(mu)
        for s in brute.compositions(n):
            parts = list(brute.ordered_partitions(n, s))
            a = b = err = 0.0
            for part in parts:
                nh = output_law_with_oracle(hat, n, 2, part)
                nu = output_law_with_oracle(ex, n, 2, part)
                a += float(np.sum(p * np.log2(p / nh))) / len(parts)
                b += float(np.sum(p * np.log2(p / nu))) / len(parts)
                err += learning_error_term(mu, hat, part, base=2) / len(parts)
            ctx = {"table": p.tolist(), "sizes": list(s), "KL_hat": a, "KL_exact": b,
                   "error": err}
            if mut:
                tr.eq(b, a + err, ctx)
            else:
                tr.eq(a, b + err, ctx)
            tr.le(-err, 0.0, ctx)
    tr.add_method("exhaustive: every composition and ordered partition, random mu n=3 and a "
                  "perturbed oracle (bits)")


# ============================================================================ examples
@paper("Ex. 1", "linear code V = M F_q^d: TC = (n-d-kappa) log2 q, DTC = (d-ell) log2 q",
       "structured.codes.example1_tc_dtc, structured.codes.example1_counts",
       mutation="kappa not subtracted")
def ex1(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import families as F
    from mdmtheory.structured.codes import example1_counts, example1_tc_dtc, rank_mod_p

    rng = cfg.rng(3600)
    done = 0
    kinds = set()
    while done < (10 if cfg.quick else 40):
        p = int(rng.choice([2, 3]))
        n = int(rng.integers(3, 6 if p == 2 else 5))
        d = int(rng.integers(1, n))
        G = rng.integers(0, p, (d, n))
        if rng.random() < 0.4:
            G[:, int(rng.integers(n))] = 0
        if rank_mod_p(G, p) != d:
            continue
        H, _ = _bits_curve(F.linear_code(G, p).p)
        kappa, ell = example1_counts(G, p)
        kinds.add((kappa > 0, ell > 0))
        tc, dtc = example1_tc_dtc(G, p, base=2)
        if mut:
            tc += kappa * math.log2(p)
        ctx = {"G": G.tolist(), "p": p, "kappa": kappa, "ell": ell}
        tr.eq(tc, brute.tc_def(H, n), ctx)
        tr.eq(dtc, brute.dtc_def(H, n), ctx)
        done += 1
    tr.add_method(f"randomized: {done} full-rank generators over F_2/F_3 (with kappa>0 and "
                  f"ell>0 cases: {sorted(kinds)}), vs brute-force TC/DTC (bits)")


@paper("Ex. 2", "a mixture of m products has DTC <= log2 m; equality for the repetition code",
       "families.mixture, information.dual_total_correlation",
       mutation="DTC <= log2(m - 1) (off by one in the number of components)")
def ex2(cfg: Config, tr: Tracker, mut: bool = False):
    from mdmtheory import families as F

    rng = cfg.rng(3700)
    worst = 0.0
    for _ in range(20 if cfg.quick else 300):
        n, q, m = 4, int(rng.integers(2, 4)), int(rng.integers(2, 6))
        comps = [F.product(rng.dirichlet(np.full(q, 0.2), size=n)) for _ in range(m)]  # peaked
        mix = F.mixture(comps, rng.dirichlet(np.ones(m)))
        H, _ = _bits_curve(mix.p)
        dtc = brute.dtc_def(H, n)
        worst = max(worst, dtc / math.log2(m))
        tr.le(dtc, math.log2(m - 1 if mut else m), {"n": n, "q": q, "m": m})
    H, _ = _bits_curve(F.repetition(4, 3).p)
    tr.eq(brute.dtc_def(H, 4), math.log2(3))
    tr.add_method(f"randomized: {20 if cfg.quick else 300} mixtures (n=4), max DTC/log2 m = "
                  f"{worst:.3f}; repetition code on F_3^4: DTC = log2 3")
