"""Three side findings about derived statements (not the paper's errata, which are rows
E1-E15 of :mod:`proofs_check.paper`).

* "[n, d] MDS code: DTC = d log q" fails at ``d = n`` (the uniform law, DTC = 0);
* a schedule with error ``< log q`` on every ``[n, d]`` code needs ``n`` rounds, not ``n - 1``;
* the pinning constant ``(n-m)/(m+1)`` is not sharp; ``(n-m-1)/(m+1)`` is (Lemma 33, TC part).

``python -m proofs_check.errata`` re-derives each finding and (with ``--write``)
saves its counterexample under ``proofs_check/counterexamples/``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass

import numpy as np

from . import brute
from ._core import DEFAULT_CE_DIR, TOL, _jsonable


@dataclass
class Finding:
    key: str
    where: str  # the paper's item the finding is about
    status: str  # "refuted" or "not sharp"
    summary: str
    evidence: dict

    @property
    def file(self) -> str:
        return f"proofs_check/counterexamples/{self.key}.json"


def mds_dtc_at_full_dimension() -> Finding:
    """"[n, d] MDS code: DTC = d log q" fails at d = n (the uniform law, DTC = 0)."""
    from mdmtheory import families as F

    n, p = 3, 3
    mu = F.reed_solomon(n, n, p)
    H = brute.subset_entropies(np.array(mu.p))
    dtc = abs(round(brute.dtc_def(H, n), 12))  # exact value 0; rounding noise ~1e-16
    claimed = n * math.log(p)
    return Finding(
        "mds-dtc-at-d-equals-n", "Thm 25 (TC and DTC of the [n, d] MDS code)",
        "refuted" if abs(dtc - claimed) > TOL else "holds",
        f"[n,d] MDS code has DTC = d log q only for d < n; RS[{n},{n}]_{p} (uniform) has "
        f"DTC = {dtc:.3g}, not {claimed:.4g}",
        {"distribution": f"Reed-Solomon [{n},{n}] over F_{p} (= uniform on F_{p}^{n})",
         "DTC_exact": dtc, "DTC_claimed": claimed, "table": np.array(mu.p).tolist(),
         "correct_statement": "DTC = d log q for 1 <= d <= n-1, and 0 for d = n"})


def rounds_lower_bound() -> Finding:
    """"needs at least n-1 rounds": true but not sharp -- exactly n rounds are needed."""
    n, q = 6, 5
    good = [s for s in brute.compositions(n)
            if all(_mds_units(s, d) == 0 for d in range(1, n + 1))]
    kmin = min(len(s) for s in good)
    return Finding(
        "rounds-n-not-n-minus-1", "Thm 24 (fixed schedules on the [n, d] codes)",
        "not sharp" if kmin == n else "check",
        f"a schedule with E KL < log q on every [n,d] code needs exactly n rounds "
        f"(n={n}: only {good[0]}), not n-1",
        {"n": n, "q": q, "schedules_good_for_all_d": [list(s) for s in good], "k_min": kmin})


def pinning_constant() -> Finding:
    """The constant (n-m)/(m+1) is never attained; (n-m-1)/(m+1) is, on MDS [n, m+1]."""
    n, m = 5, 1
    Z = (np.arange(1, n + 1) > m + 1).astype(float)  # MDS [n, m+1] in units of log q
    resid = float(np.sum(Z[m:] - Z[m]))
    dtc = n * Z[-1] - Z.sum()
    return Finding(
        "pinning-constant-not-sharp", "Lemma 33 (pinning bound, TC part; ingredient check 18)",
        "not sharp",
        "E_{|U|=m} TC(X_U^c|X_U) <= ((n-m-1)/(m+1)) DTC also holds and is attained by the "
        f"MDS code [n, m+1] (n={n}, m={m}: {resid:g} = {(n - m - 1) / (m + 1) * dtc:g} log q "
        f"< {(n - m) / (m + 1) * dtc:g} log q)",
        {"n": n, "m": m, "residual": resid, "sharp_bound": (n - m - 1) / (m + 1) * dtc,
         "stated_bound": (n - m) / (m + 1) * dtc, "unit": "log q"})


def _mds_units(sizes, d: int) -> int:
    N = 0
    for s in sizes:
        if N == d:
            return 0
        if N < d < N + s:
            return N + s - d
        N += s
    return 0


FINDINGS = (mds_dtc_at_full_dimension, rounds_lower_bound, pinning_constant)


def collect() -> list[Finding]:
    return [f() for f in FINDINGS]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs_check.errata")
    ap.add_argument("--write", action="store_true",
                    help=f"save each finding's evidence under {DEFAULT_CE_DIR}")
    args = ap.parse_args(argv)
    for f in collect():
        print(f"[{f.status}] {f.where}: {f.summary}")
        if args.write:
            DEFAULT_CE_DIR.mkdir(parents=True, exist_ok=True)
            path = DEFAULT_CE_DIR / f"{f.key}.json"
            path.write_text(json.dumps(_jsonable({"finding": f.key, "where": f.where,
                                                  "status": f.status, "summary": f.summary,
                                                  "evidence": f.evidence}), indent=1) + "\n")
            print(f"    saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
