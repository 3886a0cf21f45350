"""Bridge input/output: sequence files read verbatim, and ``ModelCurveEstimate.plot``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory import families  # noqa: E402
from mdmtheory.bridge.cli import _read_sequences, read_sequence_lines  # noqa: E402
from mdmtheory.bridge.estimate import estimate_model_curve  # noqa: E402
from mdmtheory.bridge.models import HFMaskedLM, OracleModel  # noqa: E402


def test_sequence_lines_keep_every_space(tmp_path):
    """Leading, trailing and doubled spaces survive; only the line end and empty lines go."""
    f = tmp_path / "s.txt"
    f.write_bytes(b" ab  a \r\n\nba\n   \nb")
    assert read_sequence_lines(f) == [" ab  a ", "ba", "   ", "b"]


class _CharModel:
    """A character-level alphabet with the space as a token (as the KJV model has)."""

    name = "chars"
    tokens = [" ", "a", "b"]
    encode = HFMaskedLM.encode


def test_a_character_model_sees_the_spaces(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text(" ab a\nb  \n")
    seqs = _read_sequences(_CharModel(), None, f)
    # independent decoding: the character -> index table written out by hand
    expect = [[0, 1, 2, 0, 1], [2, 0, 0]]
    assert [s.tolist() for s in seqs] == expect


def test_model_curve_estimate_plot_draws_the_chosen_form():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    mu = families.random_dirichlet(4, 2, alpha=0.8, seed=3)
    est = estimate_model_curve(OracleModel(mu), mu.sample(40, rng=1), seed=2,
                                     progress=False)
    fig, axes = plt.subplots(1, 2)
    try:
        for ax, form in zip(axes, ("entropy", "cross_entropy")):
            assert est.plot(ax, form=form) is ax
            line = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
            x, y = line.get_data()
            np.testing.assert_array_equal(x, np.arange(1, est.n + 1))
            np.testing.assert_array_equal(y, est.curve(form).Z)  # the form asked for
            assert form.replace("_", "-") in line.get_label()
        ax0 = est.plot()  # default form, new figure
        y0 = next(ln for ln in ax0.get_lines() if ln.get_marker() == "o").get_ydata()
        np.testing.assert_array_equal(y0, est.cross_entropy.Z)
        plt.close(ax0.figure)
        with pytest.raises(ValueError, match="form"):
            est.plot(form="kl")
    finally:
        plt.close(fig)


def test_bridge_schedule_command_end_to_end(tmp_path, capsys):
    """``mdmtheory bridge-schedule FILE`` through the main CLI: the uniform line is Thm 4
    (``left_riemann_error``) of the stored curve, and -k or --usual-steps > n is an error."""
    import json

    from mdmtheory.bridge.loading import save_estimate
    from mdmtheory.cli import main
    from mdmtheory.schedule import left_riemann_error

    mu = families.random_dirichlet(5, 2, alpha=0.8, seed=4)
    est = estimate_model_curve(OracleModel(mu), mu.sample(30, rng=2), seed=3,
                                     progress=False)
    path = save_estimate(tmp_path / "e.npz", est, None)
    rc = main(["bridge-schedule", str(path), "--k", "2", "--form", "entropy", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    by_name = {s["name"]: s for s in res["schedules"]}
    uni = next(s for name, s in by_name.items() if name.startswith("uniform"))
    assert sum(uni["sizes"]) == 5 and len(uni["sizes"]) == 2
    assert uni["error"] == pytest.approx(left_riemann_error(est.entropy.Z, uni["sizes"]),
                                            rel=1e-9)  # plumbing: same curve, same formula
    for extra in (["-k", "6"], ["-k", "2", "--usual-steps", "9"]):
        assert main(["bridge-schedule", str(path), *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "[1, 5]" in err[0]


def test_old_estimator_name_warns_and_gives_the_same_estimate():
    """``mdmtheory.bridge.estimate_information_curve`` (deprecated) warns and returns the
    estimate of ``estimate_model_curve`` for the same inputs and seed."""
    import numpy as np
    import pytest

    from mdmtheory import families
    from mdmtheory.bridge import OracleModel, estimate_information_curve, estimate_model_curve

    mu = families.binary_symmetric_chain(5, flip=0.2)
    x = mu.sample(30, rng=0)
    new = estimate_model_curve(OracleModel(mu), x, seed=1, progress=False)
    with pytest.warns(DeprecationWarning, match="estimate_model_curve"):
        old = estimate_information_curve(OracleModel(mu), x, seed=1, progress=False)
    assert np.array_equal(new.curve("entropy").Z, old.curve("entropy").Z)


def test_estimate_reprs_summarise():
    """Curve-estimate reprs give key figures (sum of Z = TC, half-width), no arrays."""
    import numpy as np

    from mdmtheory import families
    from mdmtheory.bridge import OracleModel, estimate_model_curve

    mu = families.binary_symmetric_chain(5, flip=0.2)
    e = estimate_model_curve(OracleModel(mu), mu.sample(20, rng=0), progress=False)
    for r in (repr(e), repr(e.entropy), repr(e.cross_entropy)):
        assert "array(" not in r and len(r) < 400
    assert f"sum Z={float(np.sum(e.entropy.Z)):.6g}" in repr(e.entropy)
