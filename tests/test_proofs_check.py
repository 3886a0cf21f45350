"""Tests of the ``proofs_check`` runner (spec theory.md §7, all 21 items).

* the quick run, as CI runs it, exits 0 with 21 verified rows;
* every row can fail: under ``--mutate N`` item ``N`` checks a deliberately
  false variant of its statement and must be *refuted*, with its counterexample
  written to disk; the process then exits non-zero;
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

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proofs_check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_quick_run_verifies_all_21_items(tmp_path):
    proc = _cli("--quick", "--json", "--counterexample-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    rows = out["rows"]
    assert [r["item"] for r in rows] == list(range(1, 22))
    assert out["verified"] == out["total"] == 21
    for r in rows:
        assert r["verdict"] == VERIFIED, r
        assert r["cases"] > 0 and r["worst"] <= r["tol"]
        assert r["method"] and r["statement"] and r["doc"].startswith("docs/theory.md#item-")
        assert r["tests"], r["item"]
    assert not list(tmp_path.iterdir())  # nothing refuted, nothing written


def test_every_mutant_is_refuted(tmp_path):
    """Each of the 21 checks detects a false variant of its statement (self-test)."""
    rows = run(Config(quick=True, mutate=frozenset(ITEMS), ce_dir=tmp_path))
    assert len(rows) == 21
    for r in rows:
        assert r.mutated and r.verdict == REFUTED, (r.item, r.verdict, r.note)
        assert r.worst > r.tol
        saved = json.loads(Path(r.counterexample).read_text())
        assert saved["item"] == r.item and saved["mutated"] is True
        assert saved["counterexample"], r.item


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
    """Spec statements outside §7 found false / not sharp, with their saved evidence."""
    from proofs_check.errata import collect

    found = {f.key: f for f in collect()}
    assert found["spec-s4-mds-dtc-at-d-equals-n"].status == "refuted"
    assert found["spec-s4-rounds-n-not-n-minus-1"].status == "not sharp"
    assert found["spec-s5-pinning-constant-not-sharp"].status == "not sharp"
    for f in found.values():
        saved = json.loads((ROOT / f.file).read_text())
        assert saved["finding"] == f.key and saved["status"] == f.status
