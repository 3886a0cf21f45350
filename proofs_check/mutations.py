"""Mutation self-test of the bounds' and paper constructions' tests (docs/mutations.md).

Each entry of :data:`MUTANTS` replaces one public function of
:mod:`mdmtheory.bounds` (or :mod:`mdmtheory.hardness`) by a plausible *wrong*
version -- the kind of slip a derivation makes: ``R_t`` for ``R_t - 1``, TC for
DTC, a dropped ``-1``.  The property tests must catch every one.

Two ways to see it:

* ``tests/test_bounds.py::test_mutants_are_caught`` and
  ``tests/test_hardness.py::test_mutants_are_caught`` (default test run) apply
  each mutant in-process and assert that the law it breaks reports a violation
  on a fixed battery of cases;
* ``python -m proofs_check.mutations`` runs the *real* test modules under each
  mutant (environment variable ``MDMTHEORY_MUTANT=<name>``, read by the test
  modules at import) in a subprocess and checks that pytest fails; it prints
  one row per mutant and exits non-zero if a mutant survives.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

ENV = "MDMTHEORY_MUTANT"


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    function: str
    description: str
    test_file: str
    test_filter: str  # pytest -k expression selecting the tests that should catch it
    factory: Callable[[object], Callable]


def _m_tc_rule(B):
    def tc_rule_bound(mu_or_Z, schedule, *, lam=None, curve=False, base=None):
        s = B._schedule_for(mu_or_Z, schedule, curve)
        num = s.sizes - 1.0
        lam_m = float(np.max(num / s.remaining)) if lam is None else lam  # R_t, not R_t - 1
        return lam_m * B.curve_totals(mu_or_Z, curve=curve, base=base).tc
    return tc_rule_bound


def _m_dtc_rule(B):
    def dtc_rule_bound(mu_or_Z, schedule, *, lam=None, curve=False, base=None):
        s = B._schedule_for(mu_or_Z, schedule, curve)
        lam_m = B.certified_lambda(s, "dtc") if lam is None else lam
        return lam_m * B.curve_totals(mu_or_Z, curve=curve, base=base).tc  # TC instead of DTC
    return dtc_rule_bound


def _m_min_rule(B):
    def min_rule_bound(mu_or_Z, schedule, *, lam=None, curve=False, base=None):
        s = B._schedule_for(mu_or_Z, schedule, curve)
        tot = B.curve_totals(mu_or_Z, curve=curve, base=base)
        lam_m = B.certified_lambda(s, "min") if lam is None else lam
        return lam_m * max(tot.tc, tot.dtc)  # max instead of min
    return min_rule_bound


def _m_uniform(B):
    def uniform_step_bound(mu_or_Z, schedule, *, curve=False, base=None):
        s = B._schedule_for(mu_or_Z, schedule, curve)
        z_n = B.curve_totals(mu_or_Z, curve=curve, base=base).z_n
        return float(s.sizes.max()) * z_n  # dropped "- 1"
    return uniform_step_bound


def _m_alphabet(B):
    def alphabet_step_bound(mu_or_q, schedule, *, base=None):
        q = mu_or_q.q if hasattr(mu_or_q, "q") else int(mu_or_q)
        s = B.as_schedule(schedule)
        return float(s.sizes.max() - 1) * math.log(q - 1 if q > 2 else q) \
            / B.log_base_factor(base)  # log(q-1) instead of log q
    return alphabet_step_bound


def _m_li_cai(B):
    def li_cai_bound(mu_or_Z, schedule, *, curve=False, base=None, require_balanced=True):
        s = B._schedule_for(mu_or_Z, schedule, curve)
        if require_balanced and not B.is_balanced(s):
            raise ValueError("unbalanced")
        return B.curve_totals(mu_or_Z, curve=curve, base=base).tc / s.k  # dropped DTC
    return li_cai_bound


def _m_residual(B):
    orig = B.residual_total_correlation

    def residual_total_correlation(mu_or_Z, m, *, curve=False, base=None):
        from mdmtheory import information_curve

        Z = np.asarray(mu_or_Z, dtype=float) if curve else information_curve(mu_or_Z, base=base)
        if m in (0, Z.size):
            return orig(mu_or_Z, m, curve=curve, base=base)
        return float(np.sum(Z[m:] - Z[m - 1]))  # Z_m instead of Z_{m+1}
    return residual_total_correlation


def _m_pinning(B):
    def pinning_bound(mu_or_Z, m, *, sharp=False, curve=False, base=None):
        tot = B.curve_totals(mu_or_Z, curve=curve, base=base)
        return max(tot.n - m - (1 if sharp else 0), 0) / (m + 1) * tot.tc  # TC for DTC
    return pinning_bound


def _m_comparison(B):
    def tc_dtc_comparison(mu_or_Z, *, curve=False, base=None):
        tot = B.curve_totals(mu_or_Z, curve=curve, base=base)
        return B.ComparisonBounds(tot.tc / (tot.n - 1), tot.dtc, (tot.n - 2) * tot.tc)  # n-2
    return tc_dtc_comparison


def _m_identity17(B):
    def dtc_leave_one_out_identity(mu, *, base=None):
        tc = B.total_correlation(mu, base=base)
        return float((mu.n - 2) * tc - B.leave_one_out_total_correlations(mu, base=base).sum())
    return dtc_leave_one_out_identity


def _m_certified(B):
    orig = B.certified_lambda

    def certified_lambda(schedule, rule):
        if rule != "dtc":
            return orig(schedule, rule)
        s = B.as_schedule(schedule)
        return float(np.max((s.sizes - 1) / (s.cumulative[:-1] + 2.0)))  # N_{t-1} + 2
    return certified_lambda


def _m_mds_error(H):
    orig = H.mds_error

    def mds_error(schedule, d, q, *, base=None):
        e = orig(schedule, d, q, base=base)
        return e + math.log(q) / H.log_base_factor(base) if e > 0 else e  # N_t* - d + 1
    return mds_error


def _m_min_rounds(H):
    def min_rounds_for_family(n, q, eps, *, base=None):
        m = math.floor(eps / (math.log(q) / H.log_base_factor(base)) * (1 + 1e-12))
        return -(-n // (m + 2))  # m + 2 tokens per step instead of m + 1
    return min_rounds_for_family


def _m_thm9_tc(P):
    def thm9_tc_schedule(n, tc_estimate, eps):
        zeta = P.thm9_zeta(tc_estimate, eps)
        if zeta == 1 or zeta >= n + 1:
            return P.PaperSchedule((n,) if zeta == 1 else (1,) * n, "Thm 9 TC")
        N = [0]
        for _ in range(P.thm9_lambda(n, zeta)):
            N.append(N[-1] + (n - N[-1]) // (zeta - 1))  # off by one: zeta - 1 for zeta
        while N[-1] < n:
            N.append(N[-1] + 1)
        return P.PaperSchedule(tuple(b - a for a, b in zip(N, N[1:])), "Thm 9 TC")
    return thm9_tc_schedule


def _m_thm9_dtc(P):
    def thm9_dtc_schedule(n, dtc_estimate, eps):
        zeta = P.thm9_zeta(dtc_estimate, eps)
        if zeta == 1 or zeta >= n + 1:
            return P.PaperSchedule((n,) if zeta == 1 else (1,) * n, "Thm 9 DTC")
        M = [n]
        for _ in range(P.thm9_lambda(n, zeta)):
            M.append(M[-1] * (zeta - 1) // zeta)  # floor for ceil
        while M[-1] > 0:
            M.append(M[-1] - 1)
        return P.PaperSchedule(tuple(reversed([a - b for a, b in zip(M, M[1:])])), "Thm 9 DTC")
    return thm9_dtc_schedule


def _m_thm10(P):
    def thm10_schedule(n, dtc_estimate, eps):
        if dtc_estimate == 0:
            return P.PaperSchedule((n,), "Thm 10")
        a = max(1, math.floor(math.sqrt(dtc_estimate * n / eps)))  # floor for ceil
        if 2 * a > n + 1:
            return P.PaperSchedule((1,) * n, "Thm 10")
        base, extra = divmod(n - a + 1, a)
        return P.PaperSchedule(tuple([1] * (a - 1) + [base + 1] * extra + [base] * (a - extra)),
                               "Thm 10")
    return thm10_schedule


def _m_cor34(P):
    def cor34_schedule(n, dtc, delta_sq):
        k = max(1, math.floor(dtc / delta_sq))  # dropped the + 1
        return P.PaperSchedule(tuple([1] * (k - 1) + [n - k + 1]), "Cor 34")
    return cor34_schedule


def _m_rem32(P):
    def rem32_uniform_schedule(n, z_n, eps):
        s = n if z_n == 0 else min(n, 2 + math.floor(eps / z_n))  # 2 + floor for 1 + floor
        full, rest = divmod(n, s)
        return P.PaperSchedule(tuple([s] * full + ([rest] if rest else [])), "Rem 32")
    return rem32_uniform_schedule


def _m_app_d(P):
    def app_d_grid(n, q, eps):
        lo = math.ceil(math.log2(eps)) + 1  # one power too high: misses X just above eps
        hi = max(math.ceil(math.log2(n * math.log2(q))), lo)
        return [2.0 ** i for i in range(lo, hi + 1)]
    return app_d_grid


def _m_li_cai_power(B):
    def li_cai_power_bound(mu_or_Z, schedule, *, curve=False, base=None):
        s = B._schedule_for(mu_or_Z, schedule, curve)
        tot = B.curve_totals(mu_or_Z, curve=curve, base=base)
        smax = int(s.sizes.max())
        power = 1 << (smax.bit_length() - 1)  # 2^floor(log2) for 2^ceil(log2)
        return (power - 1) / tot.n * (tot.tc + tot.dtc)
    return li_cai_power_bound


def _m_lemma33(B):
    def conditional_tc_plus_dtc(mu_or_Z, s, *, curve=False, base=None):
        from mdmtheory import information_curve

        Z = np.asarray(mu_or_Z, dtype=float) if curve else information_curve(mu_or_Z, base=base)
        n = Z.size
        if s == n:
            return 0.0
        return float((n - s) * (Z[-1] - Z[max(s - 1, 0)]))  # Z_s for Z_{s+1}
    return conditional_tc_plus_dtc


_B, _H = "mdmtheory.bounds", "mdmtheory.hardness"
_P, _TP = "mdmtheory.paper_schedules", "tests/test_paper_schedules.py"
_TB, _TH = "tests/test_bounds.py", "tests/test_hardness.py"

MUTANTS: dict[str, Mutant] = {m.name: m for m in [
    Mutant("tc-rule-R_t", _B, "tc_rule_bound",
           "TC rule with R_t instead of R_t - 1 in lambda", _TB, "tc_rule", _m_tc_rule),
    Mutant("dtc-rule-uses-TC", _B, "dtc_rule_bound",
           "DTC rule multiplies lambda by TC instead of DTC", _TB, "dtc_rule", _m_dtc_rule),
    Mutant("min-rule-max", _B, "min_rule_bound",
           "min rule uses max(TC, DTC)", _TB, "min_rule", _m_min_rule),
    Mutant("uniform-step-no-minus-1", _B, "uniform_step_bound",
           "uniform-step bound max(s) Z_n (dropped the -1)", _TB, "uniform_step", _m_uniform),
    Mutant("alphabet-log-q-minus-1", _B, "alphabet_step_bound",
           "alphabet bound with log(q-1) instead of log q", _TB, "uniform_step or alphabet",
           _m_alphabet),
    Mutant("li-cai-drops-DTC", _B, "li_cai_bound",
           "Li-Cai form TC/k (dropped DTC)", _TB, "li_cai", _m_li_cai),
    Mutant("residual-Z_m", _B, "residual_total_correlation",
           "residual TC with Z_m instead of Z_{m+1}", _TB, "residual or pinning", _m_residual),
    Mutant("pinning-uses-TC", _B, "pinning_bound",
           "pinning bound with TC instead of DTC", _TB, "pinning", _m_pinning),
    Mutant("comparison-n-2", _B, "tc_dtc_comparison",
           "comparison upper end (n-2) TC", _TB, "comparison", _m_comparison),
    Mutant("identity17-n-2", _B, "dtc_leave_one_out_identity",
           "identity 17 with (n-2) TC", _TB, "identity", _m_identity17),
    Mutant("certified-dtc-N+2", _B, "certified_lambda",
           "certified DTC lambda with N_{t-1} + 2", _TB, "certified or dtc_rule", _m_certified),
    Mutant("mds-error-plus-1", _H, "mds_error",
           "MDS error (N_t* - d + 1) log q", _TH, "mds", _m_mds_error),
    Mutant("min-rounds-m+2", _H, "min_rounds_for_family",
           "family round bound ceil(n / (m + 2))", _TH, "rounds", _m_min_rounds),
    Mutant("thm9-tc-zeta-1", _P, "thm9_tc_schedule",
           "Thm 9 TC recursion divides by zeta - 1", _TP, "thm9", _m_thm9_tc),
    Mutant("thm9-dtc-floor", _P, "thm9_dtc_schedule",
           "Thm 9 DTC recursion with floor for ceil", _TP, "thm9", _m_thm9_dtc),
    Mutant("thm10-floor", _P, "thm10_schedule",
           "Thm 10 a = floor(sqrt(D n/eps)) for ceil", _TP, "thm10", _m_thm10),
    Mutant("cor34-no-plus-1", _P, "cor34_schedule",
           "Cor 34 k = floor(DTC/delta^2) (dropped + 1)", _TP, "cor34", _m_cor34),
    Mutant("rem32-2-plus-floor", _P, "rem32_uniform_schedule",
           "Rem 32 s = 2 + floor(eps/Z_n)", _TP, "rem32", _m_rem32),
    Mutant("app-d-grid-plus-1", _P, "app_d_grid",
           "App. D grid starts at ceil(log2 eps) + 1", _TP, "app_d", _m_app_d),
    Mutant("thm31-power-floor", _B, "li_cai_power_bound",
           "Thm 31 with 2^floor(log2 s_max)", _TP, "thm31", _m_li_cai_power),
    Mutant("lemma33-Z_s", _B, "conditional_tc_plus_dtc",
           "Lemma 33 identity with Z_s for Z_{s+1}", _TP, "lemma33", _m_lemma33),
]}


@contextlib.contextmanager
def applied(name: str) -> Iterator[Mutant]:
    """Temporarily replace the target function by the mutant ``name``."""
    mt = MUTANTS[name]
    mod = importlib.import_module(mt.module)
    orig = getattr(mod, mt.function)
    setattr(mod, mt.function, mt.factory(mod))
    try:
        yield mt
    finally:
        setattr(mod, mt.function, orig)


def apply_from_env() -> str | None:
    """Apply (for good) the mutant named in ``$MDMTHEORY_MUTANT``; used by test modules."""
    name = os.environ.get(ENV)
    if not name:
        return None
    if name not in MUTANTS:
        raise ValueError(f"unknown mutant {name!r}; known: {sorted(MUTANTS)}")
    mt = MUTANTS[name]
    mod = importlib.import_module(mt.module)
    if not getattr(mod, "_mutated", None):
        setattr(mod, mt.function, mt.factory(mod))
        mod._mutated = name
    return name


def run_pytest(mt: Mutant, *, first_only: bool = True, timeout: float = 900
               ) -> tuple[int, float, str, list[str]]:
    """Run the catching tests under the mutant.

    Returns ``(exit status, seconds, pytest's last line, names of the failed tests)``.
    """
    env = dict(os.environ, **{ENV: mt.name})
    cmd = [sys.executable, "-m", "pytest", mt.test_file, "-q", "-rf", "-p", "no:cacheprovider",
           "-k", mt.test_filter, "-m", "not slow"] + (["-x"] if first_only else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    failed = [ln.split()[1].split("::", 1)[1] for ln in lines if ln.startswith("FAILED ")]
    return proc.returncode, time.perf_counter() - t0, lines[-1] if lines else "", failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs_check.mutations",
                                 description="Run the property tests under each mutant of the "
                                             "bounds; every mutant must make them fail.")
    ap.add_argument("names", nargs="*", help="mutants to run (default: all)")
    ap.add_argument("--baseline", action="store_true",
                    help="also run the tests unmutated (they must pass)")
    ap.add_argument("--all-failures", action="store_true",
                    help="run every selected test (no -x) and list all that fail")
    args = ap.parse_args(argv)
    names = args.names or list(MUTANTS)
    survivors = []
    if args.baseline:
        files = sorted({MUTANTS[n].test_file for n in names})
        proc = subprocess.run([sys.executable, "-m", "pytest", *files, "-q", "-p",
                               "no:cacheprovider"], capture_output=True, text=True)
        print(f"baseline (no mutant): pytest exit {proc.returncode} -- "
              f"{proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''}")
        if proc.returncode != 0:
            survivors.append("baseline")
    print(f"{'mutant':<26} {'function':<28} {'caught':<7} {'s':>5}  pytest")
    for n in names:
        mt = MUTANTS[n]
        rc, dt, last, failed = run_pytest(mt, first_only=not args.all_failures)
        caught = rc == 1  # 1 = tests failed; 0 = survived; other = crash/usage error
        if not caught:
            survivors.append(n)
        print(f"{n:<26} {mt.module.split('.')[-1] + '.' + mt.function:<28} "
              f"{'yes' if caught else 'NO':<7} {dt:5.1f}  {last}")
        for f in failed:
            print(f"{'':<28}fails: {f}")
    if survivors:
        print(f"\nsurvivors: {survivors}")
        return 1
    print(f"\nall {len(names)} mutants caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
