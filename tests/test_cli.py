"""End-to-end tests of the ``mdmtheory`` command line.

Every number the CLI prints is compared with a value computed *here*, by a
different route: closed forms (Markov chain TC, code curves), the
core library called directly, Theorem 4 re-implemented in a few lines
(``_thm14``) and brute force over all compositions for the optimal schedule.
Error paths must exit with status 2 and exactly one line on stderr, never a
traceback.  Most error paths run in-process through ``main(argv)`` (same code
as the console script); a few run as real subprocesses.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mdmtheory import families, information_curve, information_summary
from mdmtheory.cli import format_table, main

REPO = Path(__file__).resolve().parent.parent
LN2 = math.log(2)


# ----------------------------------------------------------------------------- helpers
def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the CLI as a separate process (``python -m mdmtheory.cli``)."""
    return subprocess.run([sys.executable, "-m", "mdmtheory.cli", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, timeout=300)


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def json_main(capsys, *args: str) -> dict:
    rc, out, err = run_main(capsys, *args, "--json")
    assert rc == 0, err
    return json.loads(out)


def _thm14(Z, sizes) -> float:
    """Theorem 4 written out: sum over blocks of sum_{j in B_t} (Z_j - Z_{a_t})."""
    total, start = 0.0, 0
    for s in sizes:
        total += sum(Z[j] - Z[start] for j in range(start, start + s))
        start += s
    return total


def _compositions(n: int, k: int):
    for cuts in itertools.combinations(range(1, n), k - 1):
        b = (0, *cuts, n)
        yield [b[i + 1] - b[i] for i in range(k)]


def _brute_opt(Z, k: int) -> float:
    return min(_thm14(Z, s) for s in _compositions(len(Z), k))


def _h2(p: float) -> float:
    return -p * math.log(p) - (1 - p) * math.log(1 - p)


# ----------------------------------------------------------------------------- curve
def test_curve_markov_json_matches_closed_forms_and_library(capsys):
    n, p = 8, 0.1
    out = json_main(capsys, "curve", "markov", "--n", str(n), "--flip", str(p), "--base", "bits")
    assert out["n"] == n and out["q"] == 2 and out["unit"] == "bits"
    # spec §6: TC = (n-1)(1 - h(p)) bits for the binary symmetric chain
    assert out["TC"] == pytest.approx((n - 1) * (LN2 - _h2(p)) / LN2, abs=1e-12)
    # spec §6 table (n = 6 values are for n = 6; here: library curve, computed directly)
    Z = information_curve(families.binary_symmetric_chain(n, p), base=2)
    np.testing.assert_allclose(out["Z"], Z, atol=1e-12)
    # Lemma 8 identities tie the printed TC/DTC to the printed curve
    assert sum(out["Z"]) == pytest.approx(out["TC"], abs=1e-12)
    assert n * out["Z"][-1] - out["TC"] == pytest.approx(out["DTC"], abs=1e-12)
    # H(X) of a stationary chain: h(1/2) + (n-1) h(p)
    assert out["H"] == pytest.approx((LN2 + (n - 1) * _h2(p)) / LN2, abs=1e-12)


def test_curve_spec_table_markov_n6(capsys):
    """Spec §6 table row: Markov flip 0.1, n = 6 (bits): Z, TC = 2.655, DTC = 1.375."""
    out = json_main(capsys, "curve", "markov", "--n", "6", "--flip", "0.1", "--base", "bits")
    np.testing.assert_allclose(out["Z"], [0, .324, .471, .563, .626, .672], atol=6e-4)
    assert out["TC"] == pytest.approx(2.655, abs=6e-4)
    assert out["DTC"] == pytest.approx(1.375, abs=6e-4)


@pytest.mark.parametrize("n,d,p", [(5, 2, 5), (4, 1, 5), (6, 5, 7)])
def test_curve_reed_solomon_step(capsys, n, d, p):
    out = json_main(capsys, "curve", "rs", "--n", str(n), "--d", str(d), "--p", str(p))
    expect = [0.0] * d + [math.log(p)] * (n - d)  # spec §4: a jump of log p after j = d
    np.testing.assert_allclose(out["Z"], expect, atol=1e-12)
    assert out["TC"] == pytest.approx((n - d) * math.log(p), abs=1e-12)
    assert out["DTC"] == pytest.approx(d * math.log(p), abs=1e-12)


def test_curve_human_table_matches_json(capsys):
    rc, text, _ = run_main(capsys, "curve", "mixture", "--n", "7", "--bias", "0.8")
    assert rc == 0
    data = json_main(capsys, "curve", "mixture", "--n", "7", "--bias", "0.8")
    rows = [ln.split() for ln in text.splitlines() if ln[:1].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(1, 8))
    np.testing.assert_allclose([float(r[1]) for r in rows], data["Z"], atol=5e-7)
    tc_line = next(ln for ln in text.splitlines() if ln.strip().startswith("TC"))
    assert float(tc_line.split()[-1]) == pytest.approx(data["TC"], rel=1e-9)


def test_curve_bits_is_nats_over_ln2(capsys):
    a = json_main(capsys, "curve", "parity", "--n", "5", "--q", "3")
    b = json_main(capsys, "curve", "parity", "--n", "5", "--q", "3", "--base", "bits")
    np.testing.assert_allclose(np.array(a["Z"]) / LN2, b["Z"], atol=1e-12)
    assert a["TC"] == pytest.approx(math.log(3), abs=1e-12)  # spec §6: parity TC = log q


def test_structured_and_dense_methods_agree(capsys):
    for fam in (["markov", "--n", "11", "--flip", "0.2", "--q", "3"],
                ["mixture", "--n", "10", "--bias", "0.7", "--weight", "0.3"],
                ["repetition", "--n", "6", "--q", "3"], ["rs", "--n", "5", "--d", "3", "--p", "5"]):
        dense = json_main(capsys, "curve", *fam, "--method", "dense")
        struct = json_main(capsys, "curve", *fam, "--method", "structured")
        assert dense["method"] == "dense" and struct["method"] != "dense"
        np.testing.assert_allclose(struct["Z"], dense["Z"], atol=1e-10)
        for key in ("TC", "DTC", "H"):
            assert struct[key] == pytest.approx(dense[key], abs=1e-10)


def test_long_markov_chain_uses_structured_method(capsys):
    n, p = 3000, 0.05
    out = json_main(capsys, "curve", "markov", "--n", str(n), "--flip", str(p))
    assert out["method"].startswith("structured")
    assert out["TC"] == pytest.approx((n - 1) * (LN2 - _h2(p)), rel=1e-10)
    assert len(out["Z"]) == n and out["Z"][0] == 0


def test_curve_of_npy_and_npz_tables(capsys, tmp_path):
    mu = families.random_dirichlet(4, 3, seed=7)
    np.save(tmp_path / "mu.npy", mu.p)
    np.savez(tmp_path / "two.npz", other=np.zeros(3), table=mu.p)
    expect = information_summary(mu)
    for args in ([str(tmp_path / "mu.npy")], ["table", str(tmp_path / "mu.npy")],
                 [str(tmp_path / "two.npz"), "--key", "table"], [str(tmp_path / "two.npz")]):
        out = json_main(capsys, "curve", *args)
        np.testing.assert_allclose(out["Z"], expect["Z"], atol=1e-12)
        assert out["DTC"] == pytest.approx(expect["DTC"], abs=1e-12)


def test_flat_table_file_needs_n(capsys, tmp_path):
    """A 1-D array in a table file: one line, exit 2, naming ``--n`` and every reading;
    ``--n`` reads it as the table reshaped by hand (C order), ``--n 1`` as one position."""
    mu = families.random_dirichlet(3, 4, seed=5)  # 64 cells: (4,)*3, (2,)*6, (8,)*2, (64,)
    flat = tmp_path / "flat.npy"
    np.save(flat, mu.p.ravel())
    np.save(tmp_path / "twelve.npy", np.full(12, 1 / 12))
    for argv in (["curve", str(flat)], ["schedule", "table", str(flat), "--k", "2"]):
        rc, out, err = run_main(capsys, *argv)
        assert rc == 2 and out == "" and err.count("\n") == 1, err
        assert err.startswith("mdmtheory: error: ") and "flat.npy" in err
        for reading in ("--n 6 reads it as (2,)*6", "--n 3 as (4,)*3", "--n 2 as (8,)*2",
                        "--n 1 as one position over 64 symbols"):
            assert reading in err, err
        assert "--n 4" not in err and "--n 5" not in err
    rc, _, err = run_main(capsys, "curve", str(tmp_path / "twelve.npy"))
    assert rc == 2 and "needs --n" in err and "--n 1 reads it as one position over 12" in err
    out = json_main(capsys, "curve", str(flat), "--n", "3")
    np.testing.assert_allclose(out["Z"], information_summary(mu)["Z"], atol=1e-12)
    out6 = json_main(capsys, "curve", "table", str(flat), "--n", "6")
    assert (out6["n"], out6["q"]) == (6, 2)
    np.testing.assert_allclose(out6["Z"], information_curve(mu.p.reshape((2,) * 6)), atol=1e-12)
    out1 = json_main(capsys, "curve", str(tmp_path / "twelve.npy"), "--n", "1")
    assert out1["Z"] == [0.0] and out1["H"] == pytest.approx(math.log(12), abs=1e-12)
    rc, _, err = run_main(capsys, "curve", str(flat), "--n", "5")
    assert rc == 2 and err.count("\n") == 1 and "n=6 (q=2)" in err and "n=1 (q=64)" in err
    np.save(tmp_path / "square.npy", mu.p)
    rc, _, err = run_main(capsys, "curve", str(tmp_path / "square.npy"), "--n", "2")
    assert rc == 2 and "3 axes but n=2" in err


def test_curve_json_round_trips_through_zcurve(capsys, tmp_path):
    rc, text, _ = run_main(capsys, "curve", "markov", "--n", "7", "--flip", "0.3", "--base",
                           "bits", "--json")
    path = tmp_path / "z.json"
    path.write_text(text)
    first = json.loads(text)
    again = json_main(capsys, "curve", str(path))  # unit read from the file: bits -> nats
    np.testing.assert_allclose(np.array(again["Z"]), np.array(first["Z"]) * LN2, atol=1e-12)
    assert again["TC"] == pytest.approx(first["TC"] * LN2, abs=1e-12)
    np.savetxt(tmp_path / "z.txt", first["Z"])
    txt = json_main(capsys, "curve", str(tmp_path / "z.txt"), "--unit", "bits", "--base", "bits")
    np.testing.assert_allclose(txt["Z"], first["Z"], atol=1e-12)


# ----------------------------------------------------------------------------- schedule
def test_schedule_k_optimal_is_brute_force_minimum(capsys):
    n, k = 9, 3
    out = json_main(capsys, "schedule", "markov", "--n", str(n), "--flip", "0.15", "--k", str(k),
                    "--rules", "all", "--sizes", "2,3,4")
    Z = information_curve(families.binary_symmetric_chain(n, 0.15))
    assert out["optimal"]["error"] == pytest.approx(_brute_opt(Z, k), abs=1e-12)
    assert sum(out["optimal"]["sizes"]) == n and len(out["optimal"]["sizes"]) == k
    rules = {r["rule"]: r for r in out["schedules"]}
    assert set(rules) == {"optimal", "uniform", "cosine", "loglinear", "linear", "tc", "dtc",
                          "min", "custom-1"}
    for r in out["schedules"]:  # every printed error is Thm 4 of the printed sizes
        assert sum(r["sizes"]) == n and r["k"] == len(r["sizes"])
        assert r["error"] == pytest.approx(_thm14(Z, r["sizes"]), abs=1e-12)
        assert r["error"] >= out["optimal"]["error"] - 1e-12 or r["k"] > k
    # uniform = LLaDA's split: floor(n/k) each, the first n mod k steps one more
    assert rules["uniform"]["sizes"] == [n // k + (t < n % k) for t in range(k)]
    assert rules["custom-1"]["sizes"] == [2, 3, 4]
    # greedy rules at k: lambda is the smallest one with at most k steps
    lam = rules["tc"]["lambda"]
    assert rules["tc"]["k"] <= k
    s, N = [], 0
    while N < n:  # spec §5(a) with a slightly smaller lambda needs more than k steps
        st = 1 + math.floor(lam * 0.999 * (n - N - 1))
        s.append(st)
        N += st
    assert len(s) > k


def test_schedule_eps_smallest_k(capsys):
    n, eps = 8, 0.2
    out = json_main(capsys, "schedule", "mixture", "--n", str(n), "--bias", "0.85",
                    "--eps", str(eps), "--rules", "uniform,tc,dtc,min")
    mix = families.mixture([families.product(np.tile([0.15, 0.85], (n, 1))),
                            families.product(np.tile([0.85, 0.15], (n, 1)))])
    Z = information_curve(mix)
    brute_k = min(k for k in range(1, n + 1) if _brute_opt(Z, k) <= eps)
    assert out["optimal"]["k"] == brute_k
    assert out["optimal"]["error"] <= eps
    rules = {r["rule"]: r for r in out["schedules"]}
    # uniform: the smallest k whose uniform schedule meets eps
    uni_ok = [k for k in range(1, n + 1)
              if _thm14(Z, [n // k + (t < n % k) for t in range(k)]) <= eps]
    assert rules["uniform"]["k"] == uni_ok[0]
    tc, dtc = float(Z.sum()), float(n * Z[-1] - Z.sum())
    assert rules["tc"]["lambda"] == pytest.approx(min(1.0, eps / tc), rel=1e-12)
    assert rules["dtc"]["lambda"] == pytest.approx(min(1.0, eps / dtc), rel=1e-12)
    assert rules["min"]["lambda"] == pytest.approx(min(1.0, eps / min(tc, dtc)), rel=1e-12)
    for name, budget in (("tc", tc), ("dtc", dtc), ("min", min(tc, dtc))):
        assert rules[name]["error"] <= rules[name]["lambda"] * budget + 1e-12
        assert rules[name]["lambda"] * budget <= eps * (1 + 1e-12)


def test_schedule_frontier_and_human_output(capsys):
    n = 7
    out = json_main(capsys, "schedule", "repetition", "--n", str(n), "--q", "3", "--frontier")
    Z = [0.0] + [math.log(3)] * (n - 1)  # spec §6 repetition curve
    errs = [r["error"] for r in out["frontier"]]
    np.testing.assert_allclose(errs, [_brute_opt(Z, k) for k in range(1, n + 1)], atol=1e-12)
    assert errs[0] == pytest.approx((n - 1) * math.log(3))
    assert errs[1] == pytest.approx(0, abs=1e-12)
    rc, text, _ = run_main(capsys, "schedule", "repetition", "--n", str(n), "--q", "3", "--k", "2")
    assert rc == 0
    row = next(ln.split() for ln in text.splitlines() if ln.startswith("optimal"))
    assert row[1] == "2" and row[3] == "0"


def test_schedule_accepts_stored_curve(capsys, tmp_path):
    Z = np.array([0.0, 0.5, 0.7, 0.8, 0.85, 0.87])
    np.save(tmp_path / "z.npy", Z)
    out = json_main(capsys, "schedule", "zcurve", str(tmp_path / "z.npy"), "--k", "3")
    assert out["optimal"]["error"] == pytest.approx(_brute_opt(Z, 3), abs=1e-12)
    assert out["TC"] == pytest.approx(Z.sum())


# ----------------------------------------------------------------------------- figures
FAKE_OK = '''"""A fake figure for the CLI tests."""
import pathlib
def main(outdir=None):
    p = pathlib.Path(outdir) / "fig_ok.png"
    p.write_bytes(b"fake")
    return [p]
'''
FAKE_FAIL = '''"""Always fails."""
def main(outdir=None):
    raise RuntimeError("boom\\non two lines")
'''
FAKE_TORCH = '''"""Needs torch."""
def main(outdir=None):
    raise ModuleNotFoundError("No module named 'torch'", name="torch")
'''


def test_figures_runner_reports_ok_failed_and_skipped(capsys, tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "fig_ok.py").write_text(FAKE_OK)
    (scripts / "fig_fail.py").write_text(FAKE_FAIL)
    (scripts / "fig_torch.py").write_text(FAKE_TORCH)
    (scripts / "helper.py").write_text("raise SystemExit('not a figure')\n")
    out_dir = tmp_path / "out"
    rc, text, _ = run_main(capsys, "figures", "--scripts", str(scripts), "--outdir", str(out_dir),
                           "--json")
    assert rc == 1  # one script failed
    res = json.loads(text)
    status = {r["figure"]: r["status"] for r in res["figures"]}
    assert set(status) == {"fig_ok", "fig_fail", "fig_torch"}
    assert status["fig_ok"] == "ok"
    assert status["fig_fail"].startswith("FAILED: RuntimeError: boom on two lines")
    assert status["fig_torch"].startswith("skipped (needs torch")
    summary = (out_dir / "SUMMARY.md").read_text()
    assert "| `fig_ok` | A fake figure for the CLI tests |" in summary
    assert "[fig_ok.png](fig_ok.png)" in summary
    rc, text, _ = run_main(capsys, "figures", "--scripts", str(scripts), "--outdir",
                           str(out_dir), "--only", "ok")
    assert rc == 0 and "1/1 figure scripts done" in text


def test_figures_list_discovers_repository_scripts(capsys):
    res = json_main(capsys, "figures", "--list")
    found = {s["figure"] for s in res["scripts"]}
    on_disk = {p.stem for p in (REPO / "figures").glob("fig_*.py")}
    assert found == on_disk and "fig_riemann" in found
    assert all(s["description"] for s in res["scripts"])


def test_figures_subprocess_one_real_figure(tmp_path):
    r = run_cli("figures", "--only", "riemann", "--outdir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    for name in ("fig_riemann.png", "fig_riemann.pdf", "SUMMARY.md"):
        assert (tmp_path / name).stat().st_size > 0
    assert "fig_riemann" in r.stdout and "1/1 figure scripts done" in r.stdout


# ----------------------------------------------------------------------------- check / estimate
def test_check_passes_arguments_to_proofs_check():
    r = run_cli("check", "--quick", "--items", "3", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads(r.stdout)
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert len(rows) == 1 and "verified" in json.dumps(rows[0])


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def test_estimate_help_or_one_clear_line(capsys):
    rc, out, err = run_main(capsys, "estimate", "--help")
    if _has("torch") and _has("mdmtheory.bridge.cli"):
        assert rc == 0 and "usage: mdmtheory estimate" in out
    else:
        assert rc == 2 and err.count("\n") == 1 and "estimate" in err
        assert ("torch" in err) or ("mdmtheory.bridge" in err)


def test_estimate_without_torch_is_one_clear_line(capsys, monkeypatch):
    """Hide torch (``sys.modules['torch'] = None`` makes ``import torch`` fail)."""
    has_bridge = _has("mdmtheory.bridge.cli")
    for name in list(sys.modules):
        if name == "torch" or name.startswith(("torch.", "mdmtheory.bridge", "transformers")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)
    rc, out, err = run_main(capsys, "estimate", "some-model-dir")
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    if has_bridge:
        assert "torch" in err and "pip install" in err


# ----------------------------------------------------------------------------- error paths
BAD = [
    [],
    ["nonsense"],
    ["curve"],
    ["curve", "markov", "--n", "5"],
    ["curve", "markov", "--n", "0", "--flip", "0.1"],
    ["curve", "markov", "--n", "five", "--flip", "0.1"],
    ["curve", "markov", "--n", "5", "--flip", "1.5"],
    ["curve", "markov", "--n", "5", "--flip", "nan"],
    ["curve", "rs", "--n", "5", "--d", "2", "--p", "4"],
    ["curve", "rs", "--n", "6", "--d", "2", "--p", "5"],
    ["curve", "rs", "--n", "4", "--d", "5", "--p", "5"],
    ["curve", "markov", "--n", "40", "--flip", "0.1", "--method", "dense"],
    ["curve", "uniform", "--n", "4", "--method", "structured"],
    ["curve", "product", "--n", "3", "--probs", "0.2,0.3"],
    ["curve", "markov", "--n", "5", "--flip", "0.1", "--base", "furlongs"],
    ["curve", "markov", "--n", "5", "--flip", "0.1", "--bogus"],
    ["curve", "does-not-exist.npy"],
    ["curve", "zcurve", "does-not-exist.json"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--k", "6"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--k", "0"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--eps", "-1"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--k", "2", "--eps", "0.1"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--k", "2", "--rules", "cosine,magic"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--k", "2", "--sizes", "1,1"],
    ["schedule", "markov", "--n", "5", "--flip", "0.1", "--k", "2", "--lam", "0"],
    ["figures", "--only", "no_such_figure"],
    ["figures", "--scripts", "/no/such/dir"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) or "<none>" for a in BAD])
def test_bad_arguments_exit_2_with_one_line(capsys, argv):
    rc, out, err = run_main(capsys, *argv)
    assert rc == 2
    assert err.startswith("mdmtheory: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""


def _bad_files(tmp: Path) -> list[tuple[list[str], str]]:
    (tmp / "garbage.npy").write_bytes(b"this is not a numpy file")
    np.save(tmp / "negative.npy", np.array([[0.6, 0.6], [-0.3, 0.1]]))
    np.save(tmp / "unnormalised.npy", np.ones((2, 2, 2)))
    np.save(tmp / "ragged.npy", np.ones((2, 3)) / 6)
    np.save(tmp / "scalar.npy", np.array(1.0))
    np.save(tmp / "strings.npy", np.array(["a", "b"]))
    np.savez(tmp / "many.npz", a=np.ones(2) / 2, b=np.ones(2) / 2)
    (tmp / "bad.json").write_text("{not json")
    (tmp / "noz.json").write_text('{"curve": [0, 1]}')
    (tmp / "decreasing.txt").write_text("0 0.5 0.2\n")
    (tmp / "notzero.csv").write_text("0.1, 0.5\n")
    (tmp / "words.txt").write_text("zero one\n")
    return [
        (["curve", str(tmp / "garbage.npy")], "garbage.npy"),
        (["curve", str(tmp / "negative.npy")], "negative"),
        (["curve", str(tmp / "unnormalised.npy")], "sum to 1"),
        (["curve", str(tmp / "ragged.npy")], "shape"),
        (["curve", str(tmp / "scalar.npy")], "scalar.npy"),
        (["curve", str(tmp / "strings.npy")], "numeric"),
        (["curve", str(tmp / "many.npz")], "--key"),
        (["curve", str(tmp / "many.npz"), "--key", "c"], "no array 'c'"),
        (["curve", "table", str(tmp)], "directory"),
        (["curve", str(tmp / "bad.json")], "not valid JSON"),
        (["curve", str(tmp / "noz.json")], "'Z'"),
        (["schedule", str(tmp / "decreasing.txt"), "--k", "2"], "nondecreasing"),
        (["schedule", str(tmp / "notzero.csv"), "--k", "1"], "Z_1 must be 0"),
        (["curve", str(tmp / "words.txt")], "expected numbers"),
    ]


def test_bad_files_exit_2_with_one_line(capsys, tmp_path):
    for argv, needle in _bad_files(tmp_path):
        rc, out, err = run_main(capsys, *argv)
        assert rc == 2, argv
        assert err.startswith("mdmtheory: error: ") and err.count("\n") == 1, (argv, err)
        assert needle in err, (argv, err)
        assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["curve", "markov", "--n", "5"], ["curve", "missing.npz"],
                                  ["schedule", "rs", "--n", "4", "--d", "2", "--p", "9", "--k",
                                   "2"], ["frobnicate"]])
def test_bad_input_as_real_process(argv):
    r = run_cli(*argv)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("mdmtheory: error: ")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_help_and_version(capsys):
    rc, out, _ = run_main(capsys, "--help")
    assert rc == 0 and "curve" in out and "schedule" in out and "figures" in out
    rc, out, _ = run_main(capsys, "--version")
    assert rc == 0 and out.startswith("mdmtheory ")
    rc, out, _ = run_main(capsys, "curve", "rs", "--help")
    assert rc == 0 and "--d" in out


def test_format_table_aligns_columns():
    text = format_table(["a", "bb"], [["x", 1.5], ["yyy", 22.25]])
    lines = text.splitlines()
    assert len({len(ln) for ln in lines[:2]}) == 1  # header and rule share the width
    assert lines[2].endswith("1.5") and lines[3].endswith("22.25")


# --------------------------------------------------------------------------- vocabulary and output
def test_short_and_long_k_are_one_option(capsys):
    a = json_main(capsys, "schedule", "markov", "--n", "8", "--flip", "0.1", "-k", "3")
    b = json_main(capsys, "schedule", "markov", "--n", "8", "--flip", "0.1", "--k", "3")
    assert a == b


def test_schedule_json_is_compact_for_long_sequences(capsys):
    """Lists of numbers are one line each: the JSON of n = 2000 stays short (was ~4,000 lines)."""
    rc = main(["schedule", "markov", "--n", "2000", "--flip", "0.1", "--k", "5", "--json"])
    out = capsys.readouterr().out
    assert rc == 0 and len(out.splitlines()) < 120
    res = json.loads(out)
    assert sum(res["optimal"]["sizes"]) == 2000


def test_any_base_plumbing(capsys):
    """Plumbing: --base 10 prints the nats numbers divided by ln 10, unit 'base-10'."""
    nats = json_main(capsys, "curve", "markov", "--n", "6", "--flip", "0.2")
    dec = json_main(capsys, "curve", "markov", "--n", "6", "--flip", "0.2", "--base", "10")
    assert dec["unit"] == "base-10" and nats["unit"] == "nats"
    np.testing.assert_allclose(np.asarray(dec["Z"]) * np.log(10), nats["Z"], rtol=1e-12,
                               atol=1e-15)


def test_custom_schedules_are_numbered(capsys):
    out = json_main(capsys, "schedule", "markov", "--n", "6", "--flip", "0.1", "--k", "2",
                    "--rules", "none", "--sizes", "1,5", "--sizes", "3,3")
    assert [r["rule"] for r in out["schedules"]] == ["optimal", "custom-1", "custom-2"]


def test_check_out_and_mutate_never_write_into_the_tree():
    from mdmtheory.cli.check import translate_args

    args, tmp = translate_args(["--quick", "--out", "/x/y"])
    assert args == ["--quick", "--counterexample-dir", "/x/y"] and tmp is None
    args, tmp = translate_args(["--mutate", "7"])
    assert tmp is not None and args[-2:] == ["--counterexample-dir", str(tmp)]
    assert tmp.is_dir() and not str(tmp).startswith(str(Path(__file__).resolve().parent.parent))
    tmp.rmdir()
    args, tmp = translate_args(["--mutate", "7", "--counterexample-dir", "/z"])
    assert tmp is None and args == ["--mutate", "7", "--counterexample-dir", "/z"]


def test_check_help_names_the_command(capsys):
    rc = main(["check", "--help"])
    out = capsys.readouterr().out
    assert rc == 0 and "usage: mdmtheory check" in out and "python -m proofs_check" not in out
    assert "--out DIR" in out
    words = " ".join(out.split())
    assert "one row per numbered item of the paper, in bits, plus the errata" in words
    assert "spec" not in out
