"""Tests of ``proofs_check``: the paper table and the 21 ingredient checks.

* the quick paper table (the default of ``python -m proofs_check`` and of
  ``mdmtheory check``) has one row for each of the 37 numbered items, Fig. 1 and
  App. D, and one per erratum; no item is missing or refuted, every erratum is
  confirmed with its evidence stored;
* every row can fail: the mutated paper rows and the 21 mutated ingredient
  checks come out *refuted*, with a stored counterexample;
* a crashing check is reported as an ``error`` row, never hidden.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import proofs_check
from proofs_check import ITEMS, REFUTED, VERIFIED, Config, run
from proofs_check._core import ERROR, Check, run_check
from proofs_check.paper import PAPER, expected_ok, run_paper

ROOT = Path(__file__).resolve().parents[1]

PAPER_ITEMS = (["Def 1", "Def 2", "Def 3", "Thm 4", "Thm 5", "Thm 6", "Def 7", "Lemma 8",
                "Thm 9", "Thm 10", "Def 11", "Def 12", "Lemma 13", "Def 14", "Def 15",
                "Thm 16", "Def 17", "Def 18", "Def 19", "Prop 20", "Lemma 21", "Def 22",
                "Def 23", "Thm 24", "Thm 25", "Def 26", "Def 27", "Lemma 28", "Lemma 29",
                "Thm 30", "Thm 31", "Rem 32", "Lemma 33", "Cor 34", "Lemma 35"]
               + ["Ex. 1", "Ex. 2"])


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proofs_check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_paper_table_covers_every_item(tmp_path):
    """37 items + Fig. 1 + App. D, none missing; the run's verdicts are the expected ones."""
    assert len(PAPER_ITEMS) == 37
    rows = run_paper(Config(quick=True, ce_dir=tmp_path))
    keys = [r.key for r in rows]
    assert set(PAPER_ITEMS) | {"Fig. 1", "App. D"} <= set(keys)
    errata = [r for r in rows if r.erratum]
    assert [r.key for r in errata] == [f"E{i}" for i in range(1, 16)]
    for r in rows:
        if r.erratum:
            assert r.status == "confirmed", (r.key, r.status, r.note)
            saved = json.loads(Path(r.counterexample).read_text())
            assert saved["row"] == r.key and saved["counterexample"]["evidence"], r.key
        else:
            assert r.status in ("verified", "not checkable"), (r.key, r.status, r.note)
            assert r.counterexample is None
            assert r.cases > 0 and r.worst_bits <= 1e-9 / 0.69, r.key
            assert r.method and r.functions
        if r.status == "not checkable":
            assert r.note  # says why
    assert {r.key for r in rows if r.status == "not checkable"} == {"Thm 5", "Thm 6", "Thm 24",
                                                                   "Thm 25"}
    assert expected_ok(rows)
    # every ingredient check is used by some paper row
    assert {i for c in PAPER for i in c.uses} == set(ITEMS)


def test_paper_mutants_are_refuted(tmp_path):
    """Each mutated paper row (off-by-one, floor for ceil, wrong constant) is refuted."""
    muts = [c.key for c in PAPER if c.mutation]
    assert {"Thm 9", "Thm 10", "App. D", "Cor 34", "Rem 32", "Thm 31", "Lemma 33",
            "Lemma 35", "Fig. 1"} <= set(muts)
    rows = run_paper(Config(quick=True, ce_dir=tmp_path), muts, mutate=frozenset(muts))
    for r in rows:
        assert r.mutated and r.status == "refuted", (r.key, r.status, r.note)
        assert json.loads(Path(r.counterexample).read_text())["mutated"] is True
    assert not expected_ok(rows)


def test_cli_paper_rows_and_exit_status(tmp_path):
    proc = _cli("--quick", "--rows", "Rem 32,E6", "--counterexample-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Rem 32" in proc.stdout and "confirmed" in proc.stdout and "bits" in proc.stdout
    proc = _cli("--quick", "--rows", "Rem 32", "--mutate-rows", "Rem 32",
                "--counterexample-dir", str(tmp_path))
    assert proc.returncode == 1 and "refuted" in proc.stdout
    with pytest.raises(ValueError, match="unknown paper row"):
        run_paper(Config(quick=True, ce_dir=tmp_path), ["Thm 99"])


def test_every_mutant_is_refuted(tmp_path):
    """Each of the 21 ingredient checks detects a false variant of its statement (self-test)."""
    rows = run(Config(quick=True, mutate=frozenset(ITEMS), ce_dir=tmp_path))
    assert len(rows) == 21
    for r in rows:
        assert r.mutated and r.verdict == REFUTED, (r.item, r.verdict, r.note)
        assert r.worst > r.tol
        saved = json.loads(Path(r.counterexample).read_text())
        assert saved["item"] == r.item and saved["mutated"] is True
        assert saved["counterexample"], r.item


@pytest.mark.slow
def test_cli_exits_nonzero_when_a_statement_is_false(tmp_path):
    proc = _cli("--quick", "--items", "3,13", "--mutate", "13",
                "--counterexample-dir", str(tmp_path))
    assert proc.returncode == 1
    lines = [ln for ln in proc.stdout.splitlines() if ln[:2].strip().isdigit()]
    assert len(lines) == 2
    assert "verified" in lines[0] and "refuted" in lines[1] and "[MUTANT]" in lines[1]
    assert (tmp_path / "mutant-item13.json").exists()


def test_unknown_item_is_a_usage_error():
    proc = _cli("--items", "22")
    assert proc.returncode == 2 and "unknown item" in proc.stderr
    proc = _cli("--seed", "-1")
    assert proc.returncode == 2 and "--seed" in proc.stderr


def test_other_seed_also_verifies(tmp_path):
    """The randomized parts hold for another seed too (items using random inputs)."""
    rows = run(Config(quick=True, seed=12345, ce_dir=tmp_path), items=[1, 7, 13, 18, 20])
    assert all(r.verdict == VERIFIED for r in rows), [(r.item, r.verdict) for r in rows]


def test_crashing_check_is_an_error_row(tmp_path):
    def boom(cfg, tr):
        tr.eq(1.0, 1.0)
        raise RuntimeError("bug in a check")

    row = run_check(Check(99, "a check that crashes", boom), Config(ce_dir=tmp_path))
    assert row.verdict == ERROR and "bug in a check" in row.note


def test_registry_matches_spec_items():
    assert ITEMS == tuple(range(1, 22))
    for i in ITEMS:
        chk = proofs_check.REGISTRY[i]
        assert chk.mutation, i
        assert any(t.startswith("tests/") for t in chk.tests), i


def test_errata_findings_stand():
    """Side findings about derived statements (Thms 24-25, Lemma 33), with their saved evidence."""
    from proofs_check.errata import collect

    found = {f.key: f for f in collect()}
    assert found["mds-dtc-at-d-equals-n"].status == "refuted"
    assert found["rounds-n-not-n-minus-1"].status == "not sharp"
    assert found["pinning-constant-not-sharp"].status == "not sharp"
    for f in found.values():
        saved = json.loads((ROOT / f.file).read_text())
        assert saved["finding"] == f.key and saved["status"] == f.status
