"""CLI fuzz: every subcommand with bad arguments exits non-zero with one line, no traceback.

The table of options is read from the parser itself (``build_parser``), so a new
option of a known kind joins the suite without editing this file; an option of
an unknown kind fails :func:`test_every_typed_option_has_a_known_kind`.  For
each option, bad values of its kind are put into a valid invocation of the
subcommand (the invocation is first run as is: a control that must succeed) and
the command must

* exit with a non-zero status (2 for a usage error),
* print exactly one line on stderr, starting with ``mdmtheory:``,
* print no traceback and no "internal error",
* finish within a time limit (no hang).

The examples of the default run are fixed lists plus a few hundred Hypothesis
draws (``HYPOTHESIS_PROFILE=thorough`` for thousands).  The rows of the
reliability report that exited 0 with a wrong answer are regression tests here.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import shlex
import signal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdmtheory.cli import build_parser, main
from mdmtheory.cli import _common as C
from mdmtheory.cli import estimate as E
from mdmtheory.cli import sources as S

HAS_TORCH = importlib.util.find_spec("torch") is not None
TIME_LIMIT_S = 30

# Bad values for each kind of argument type (the strings a user could type).
NOT_A_NUMBER = ["abc", "", " ", "nan", "NaN", "inf", "-inf", "1e999", "0x10", "1,5", "None"]
BAD_VALUES: dict[object, list[str]] = {
    C._positive_int: ["0", "-1", "-7", "1.5", "2.0", "1e3", "true", *NOT_A_NUMBER],
    C._nonneg_int: ["-1", "-100", "0.5", "3.0", "false", *NOT_A_NUMBER],
    C._finite_float: NOT_A_NUMBER,
    C._probability: ["-0.1", "1.5", "2", "-1e-9", *NOT_A_NUMBER],
    C._nonneg_float: ["-1", "-1e-12", *NOT_A_NUMBER],
    C._lambda: ["0", "-0.5", "1.5", *NOT_A_NUMBER],
    C._float_list: ["a,b", "", ",", "nan,1", "1,inf", "0.5;x"],
    C._int_list: ["1.5,2", "x", "", ",", "1,a"],
    C._rule_list: ["foo", "uniform,foo", ""],
    C._base: ["1", "0", "-2", "foo", "nan", "inf", "1.0", ""],
    S._unit_name: ["furlongs", "", "base-1", "base-0", "base-x"],
    E._level: ["0", "1", "1.5", "-0.5", *NOT_A_NUMBER],
    E._positive_float: ["0", "-1", *NOT_A_NUMBER],
    E._device: ["gpu", "cuda:99", "tpu", "", "cpu:x"],
    E._existing_file: ["/no/such/file.txt", "", "."],
    E._output_file: ["/no/such/folder/out.json", "", "."],
    E._splits: ["0", "1", "-2", "2.5", *NOT_A_NUMBER],
}
CHOICE_BAD = ["zzz", "", "AUTO"]


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that ``main`` cannot report it as an error."""


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in-process with a time limit; returns (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()

    def timeout(signum, frame):
        raise Hang(f"mdmtheory {shlex.join(argv)} ran over {TIME_LIMIT_S} s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(TIME_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return rc, out.getvalue(), err.getvalue()


def assert_clean_failure(argv: list[str]) -> None:
    rc, out, err = run_cli(argv)
    cmd = "mdmtheory " + shlex.join(argv)
    assert rc != 0, f"{cmd} exited 0 (stdout: {out[:300]!r})"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{cmd}: expected one line on stderr, got {err!r}"
    assert lines[0].startswith("mdmtheory:"), f"{cmd}: {lines[0]!r}"
    assert "Traceback" not in err + out and "internal error" not in err, f"{cmd}: {err!r}"


# --------------------------------------------------------------------------- the table
def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _valid_invocations(tmp: Path) -> dict[tuple[str, ...], list[str]]:
    """A valid, fast invocation of every (command, source)."""
    z = tmp / "z.json"
    z.write_text(json.dumps({"Z": [0.0, 0.1, 0.3, 0.4], "unit": "nats"}))
    table = tmp / "p.npy"
    np.save(table, np.full((2, 2, 2), 1 / 8))
    inv: dict[tuple[str, ...], list[str]] = {}
    for name, fam in S.FAMILIES.items():
        ex = shlex.split(fam.example)
        inv[("curve", name)] = ["curve", *ex]
        inv[("schedule", name)] = ["schedule", *ex, "--k", "2"]
    for cmd, extra in (("curve", []), ("schedule", ["--k", "2"])):
        inv[(cmd, "table")] = [cmd, "table", str(table), *extra]
        inv[(cmd, "zcurve")] = [cmd, "zcurve", str(z), *extra]
    return inv


def _typed_actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if action.option_strings and (action.type is not None or action.choices):
            yield action


def fuzz_table(tmp: Path, *, with_estimate: bool = False):
    """Rows ``(base invocation, option, kind)`` for every typed option of every subcommand."""
    rows = []
    top = _subparsers(build_parser(with_estimate=with_estimate))
    inv = _valid_invocations(tmp)
    for cmd in ("curve", "schedule"):
        for source, sp in _subparsers(top[cmd]).items():
            base = inv.get((cmd, source))
            if base is None:  # an alias of a family
                continue
            for action in _typed_actions(sp):
                rows.append((base, action.option_strings[-1], action.type, action.choices))
    if with_estimate:
        for action in _typed_actions(top["estimate"]):
            rows.append((["estimate", "kjv"], action.option_strings[-1], action.type,
                         action.choices))
        est_file = tmp / "estimate.npz"  # the types are checked before the file is read
        est_file.write_bytes(b"")
        for action in _typed_actions(top["bridge-schedule"]):
            rows.append((["bridge-schedule", str(est_file)], action.option_strings[-1],
                         action.type, action.choices))
    return rows


def _with_option(base: list[str], option: str, value: str) -> list[str]:
    """``base`` with ``option`` set to ``value`` (replacing a value already there)."""
    argv = list(base)
    if option in argv:
        i = argv.index(option)
        argv[i + 1] = value
        return argv
    if option in ("--k", "--eps", "--frontier") and "--k" in argv:  # mutually exclusive group
        i = argv.index("--k")
        del argv[i:i + 2]
    return [*argv, f"{option}={value}"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return fuzz_table(tmp_path_factory.mktemp("fuzz"), with_estimate=HAS_TORCH)


def test_every_typed_option_has_a_known_kind(table):
    unknown = sorted({f"{b[0]} {opt}" for b, opt, kind, choices in table
                      if kind not in BAD_VALUES and not choices})
    assert not unknown, f"options without bad values in the fuzz table: {unknown}"
    assert len(table) > 60  # the table really is read from the parser


def test_valid_invocations_succeed(tmp_path):
    """Control: each base invocation works, so the failures below come from the bad value."""
    for argv in _valid_invocations(tmp_path).values():
        rc, out, err = run_cli(argv)
        assert rc == 0 and out and not err, (argv, rc, err)


def _bad_values(kind, choices) -> list[str]:
    if kind in BAD_VALUES:
        return list(BAD_VALUES[kind])
    return [v for v in CHOICE_BAD if v not in (choices or ())]


def _check_table(table, per_option: int | None) -> int:
    """Run the bad values of every option (``per_option`` of them, rotating, or all)."""
    n = 0
    for i, (base, option, kind, choices) in enumerate(table):
        values = _bad_values(kind, choices)
        if per_option is not None and len(values) > per_option:
            values = [values[(i + j * 7) % len(values)] for j in range(per_option)]
        for value in values:
            assert_clean_failure(_with_option(base, option, value))
            n += 1
    return n


def test_bad_values_of_every_option(table):
    """Three bad values per option (a different three for neighbouring options)."""
    assert _check_table(table, per_option=3) > 3 * 60


@pytest.mark.slow
def test_all_bad_values_of_every_option(table):
    """Every bad value of every option (about 2,000 invocations)."""
    assert _check_table(table, per_option=None) > 1000


@pytest.mark.parametrize("argv", [
    [],
    ["nonsense"],
    ["curve"],
    ["curve", "nofamily", "--n", "3"],
    ["curve", "markov", "--flip", "0.1"],  # --n missing
    ["curve", "markov", "--n", "4", "--flip", "0.1", "--bogus"],
    ["schedule", "markov", "--n", "4", "--flip", "0.1"],  # no --k/--eps/--frontier
    ["schedule", "markov", "--n", "4", "--flip", "0.1", "--k", "2", "--eps", "0.1"],
    ["schedule", "markov", "--n", "4", "--flip", "0.1", "--k", "9"],  # k > n
    ["schedule", "markov", "--n", "4", "--flip", "0.1", "--k", "2", "--sizes", "1,1"],
    ["schedule", "markov", "--n", "4", "--flip", "0.1", "--k", "2", "--sizes", "0,4"],
    ["curve", "product", "--n", "3", "--probs", "0.5,0.6"],  # does not sum to 1
    ["curve", "product", "--n", "3", "--probs", "-0.5,1.5"],
    ["curve", "rs", "--n", "5", "--d", "2", "--p", "6"],  # not a prime
    ["curve", "rs", "--n", "9", "--d", "2", "--p", "5"],  # n > p
    ["curve", "rs", "--n", "3", "--d", "5", "--p", "5"],  # d > n
    ["curve", "uniform", "--n", "1000000000000000000000000000000", "--q", "2"],
    ["curve", "dirichlet", "--n", "40", "--q", "3"],  # over the memory budget
    ["curve", "nofile.npy"],
    ["curve", "zcurve", "nofile.json"],
    ["figures", "--only", "no_such_figure"],
    ["figures", "--scripts", "/no/such/folder"],
    ["check", "--items", "999999"],
    ["check", "--out"],
])
def test_bad_invocations(argv):
    assert_clean_failure(argv)


# Regression rows of the reliability report: each used to exit 0 with a wrong answer.
def test_product_q_and_probs_must_agree():
    assert_clean_failure(["curve", "product", "--q", "3", "--probs", "0.5,0.5", "--n", "3"])
    rc, out, _ = run_cli(["curve", "product", "--probs", "0.2,0.3,0.5", "--n", "2", "--json"])
    assert rc == 0 and json.loads(out)["q"] == 3  # q follows --probs when --q is not given


@pytest.mark.parametrize("content", [
    {"Z": [0, 0.1, 0.2], "unit": "furlongs"},
    {"Z": [0, 0.1, 0.2], "unit": 2},
    {"Z": [0, 0.2, 0.1]},  # decreasing
    {"Z": [0, "x", 0.1]},
    {"curve": [0, 0.1]},  # no Z
])
def test_bad_json_curves(tmp_path, content):
    f = tmp_path / "z.json"
    f.write_text(json.dumps(content))
    assert_clean_failure(["curve", "zcurve", str(f)])


@pytest.mark.parametrize("text", ["", "not json {", "[1, 2", "\x00\x01"])
def test_broken_curve_files(tmp_path, text):
    f = tmp_path / "z.json"
    f.write_text(text)
    assert_clean_failure(["curve", str(f)])


def test_json_units_round_trip(tmp_path):
    """Any base is accepted, written as its unit, and read back as that unit (not as nats)."""
    rc, out, _ = run_cli(["curve", "markov", "--n", "5", "--flip", "0.2", "--base", "10",
                          "--json"])
    assert rc == 0
    written = json.loads(out)
    assert written["unit"] == "base-10"
    f = tmp_path / "z.json"
    f.write_text(out)
    rc, out2, _ = run_cli(["curve", str(f), "--json"])  # read back, printed in nats
    nats = np.asarray(json.loads(out2)["Z"])
    np.testing.assert_allclose(nats, np.asarray(written["Z"]) * np.log(10.0), rtol=1e-13)


@pytest.mark.skipif(not HAS_TORCH, reason="estimate needs torch")
@pytest.mark.parametrize("extra", [["--length", "0"], ["--threads", "0"], ["--device", "gpu"],
                                   ["--device", "cuda:99"], ["-k", "0"], ["--k", "-2"],
                                   ["--splits", "1"], ["--usual-steps", "0"], ["--dtype", "fp8"],
                                   ["--level", "1.5"], ["--sample", "0"]])
def test_estimate_rows_of_the_report(extra):
    assert_clean_failure(["estimate", "kjv", *extra])


@pytest.mark.skipif(not HAS_TORCH, reason="bridge-schedule needs torch")
@pytest.mark.parametrize("extra", [[], ["-k", "0"], ["--splits", "1"], ["--level", "0"],
                                   ["--usual-steps", "-1"], ["--form", "kl"]])
def test_bridge_schedule_bad_input(tmp_path, extra):
    """A missing, empty or foreign estimate file, or a bad option: one line, status 2."""
    assert_clean_failure(["bridge-schedule", str(tmp_path / "none.npz"), *extra])
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    assert_clean_failure(["bridge-schedule", str(empty), *extra])
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    assert_clean_failure(["bridge-schedule", str(foreign), *extra])


@pytest.mark.skipif(not HAS_TORCH, reason="bridge-schedule needs torch")
def test_every_bridge_schedule_option_has_help():
    top = _subparsers(build_parser(with_estimate=True))
    missing = [a.option_strings for a in top["bridge-schedule"]._actions
               if a.option_strings and not a.help]
    assert not missing, missing


@pytest.mark.skipif(not HAS_TORCH, reason="estimate needs torch")
def test_every_estimate_option_has_help():
    top = _subparsers(build_parser(with_estimate=True))
    missing = [a.option_strings for a in top["estimate"]._actions
               if a.option_strings and not a.help]
    assert not missing, missing


def test_every_option_has_help():
    parser = build_parser()
    missing = []
    stack = [parser]
    while stack:
        p = stack.pop()
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                stack.extend(a.choices.values())
            elif a.option_strings and not a.help and a.help != argparse.SUPPRESS:
                missing.append((p.prog, a.option_strings))
    assert not missing, missing


# --------------------------------------------------------------------------- Hypothesis
def _bad_positive_int():
    return st.one_of(st.integers(max_value=0).map(str),
                     st.floats(allow_nan=True, allow_infinity=True)
                     .filter(lambda x: not (x == int(x) if np.isfinite(x) else False)
                             and not float(x).is_integer()).map(repr),
                     st.text(alphabet="abcxyz-_ ,;", min_size=0, max_size=4))


def _bad_probability():
    return st.one_of(st.floats(max_value=-1e-12).map(repr), st.floats(min_value=1 + 1e-9)
                     .map(repr), st.sampled_from(["nan", "inf", "p"]))


@settings(max_examples=120)
@given(option=st.sampled_from(["--n", "--q"]), value=_bad_positive_int())
def test_hypothesis_bad_sizes(option, value):
    assert_clean_failure(["curve", "markov", "--n", "5", "--flip", "0.1", f"{option}={value}"])


@settings(max_examples=80)
@given(value=_bad_probability())
def test_hypothesis_bad_probabilities(value):
    assert_clean_failure(["schedule", "markov", "--n", "5", "--k", "2", f"--flip={value}"])


@settings(max_examples=60)
@given(probs=st.lists(st.floats(min_value=0, max_value=1), min_size=2, max_size=4)
       .filter(lambda v: abs(sum(v) - 1) > 1e-6))
def test_hypothesis_probs_not_summing_to_one(probs):
    assert_clean_failure(["curve", "product", "--n", "2",
                          "--probs", ",".join(repr(p) for p in probs)])
