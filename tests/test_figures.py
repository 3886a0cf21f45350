"""Every ``figures/fig_*.py`` script runs and writes valid, non-empty PNG and PDF files.

Each script's ``main(outdir)`` runs on a temporary folder; the test checks the
returned paths are exactly the files written, that each PNG decodes to an image
of a sensible size and each PDF has a PDF header and trailer, and that every
figure is drawn at a paper size (one column or the full text width) with no
font smaller than 8 pt at that size (read from the figure objects).  Scripts that
need an optional extra (torch) are skipped when it is missing.  The shared
helpers of :mod:`mdmtheory.plotting` are tested for determinism (identical
bytes on a second save, no timestamps in the files).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mdmtheory import plotting

REPO = Path(__file__).resolve().parent.parent
FIG_DIR = REPO / "figures"
SCRIPTS = sorted(FIG_DIR.glob("fig_*.py"))

#: Scripts that take more than ~20 s on the 2-core CI machine (run with -m slow).
SLOW = {"fig_policy_fronts"}
OPTIONAL = {"torch", "transformers", "antiberty"}


def _load(path: Path):
    name = f"_test_figure_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OPTIONAL:
            pytest.skip(f"{path.name} needs {exc.name}")
        raise
    return mod


def _params():
    for p in SCRIPTS:
        marks = [pytest.mark.slow] if p.stem in SLOW else []
        yield pytest.param(p, id=p.stem, marks=marks)


def _check_png(path: Path) -> None:
    from matplotlib.image import imread

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] >= 200 and img.shape[1] >= 300, img.shape
    # not a blank canvas: some pixels differ from the background
    assert float(np.std(img[..., :3])) > 0.01


def _check_pdf(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/CreationDate" not in data  # reproducible: no timestamp


def test_figure_scripts_exist():
    names = {p.stem for p in SCRIPTS}
    mine = {"fig_riemann", "fig_curves", "fig_error_vs_steps", "fig_schedule_shapes",
            "fig_hardness", "fig_bounds"}
    assert mine <= names


#: Figures of other owners not yet at paper size (their owners convert them with
#: mdmtheory.plotting.new_figure(size=...)); the size check is an expected failure there.
NOT_YET_PAPER_SIZE: set[str] = set()


def _check_print_size(stem: str, figs) -> None:
    problems = []
    for fig in figs:
        w = fig.get_figwidth()
        if not any(abs(w - v) < 0.01 for v in plotting.PAPER_WIDTHS.values()):
            problems.append(f"width {w:.2f} in is not a paper width {plotting.PAPER_WIDTHS}")
        small = plotting.smallest_font_pt(fig)
        if small < plotting.MIN_FONT_PT:
            problems.append(f"smallest font {small:.1f} pt < {plotting.MIN_FONT_PT} pt")
    if problems and stem in NOT_YET_PAPER_SIZE:
        pytest.xfail(f"{stem}: " + "; ".join(problems))
    assert not problems, f"{stem}: " + "; ".join(problems)


@pytest.mark.parametrize("script", list(_params()))
def test_figure_script_writes_png_and_pdf(script: Path, tmp_path: Path, monkeypatch):
    figs = []
    original = plotting.save_figure

    def recording_save_figure(fig, *args, **kwargs):
        figs.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(plotting, "save_figure", recording_save_figure)
    mod = _load(script)
    assert callable(getattr(mod, "main", None)), f"{script.name} has no main(outdir)"
    assert (mod.__doc__ or "").strip(), f"{script.name} needs a docstring (used by SUMMARY.md)"
    t0 = time.perf_counter()
    try:
        files = mod.main(tmp_path)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OPTIONAL:
            pytest.skip(f"{script.name} needs {exc.name}")
        raise
    elapsed = time.perf_counter() - t0
    files = [Path(f) for f in files]
    suffixes = sorted(f.suffix for f in files)
    assert ".png" in suffixes and ".pdf" in suffixes
    written = {p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".png", ".pdf")}
    assert written == {f.resolve() for f in files} or written == set(files)
    for f in files:
        assert f.stat().st_size > 0
        (_check_png if f.suffix == ".png" else _check_pdf)(f)
    if script.stem not in SLOW:
        assert elapsed < 120, f"{script.name} took {elapsed:.0f} s: mark it slow"
    assert figs, f"{script.name} did not save through mdmtheory.plotting.save_figure"
    _check_print_size(script.stem, figs)


def test_figure_is_deterministic(tmp_path):
    """fig_riemann twice: byte-identical PNG and PDF."""
    mod = _load(FIG_DIR / "fig_riemann.py")
    a = mod.main(tmp_path / "a")
    b = mod.main(tmp_path / "b")
    for fa, fb in zip(a, b):
        assert Path(fa).read_bytes() == Path(fb).read_bytes(), fa


def test_save_figure_writes_deterministic_files(tmp_path):
    def make():
        with plotting.style_context():
            fig, ax = plotting.new_figure(1, 2, width=5, height=2.5)
            ax[0].plot([1, 2, 3], [3, 1, 2], label="x")
            ax[0].legend()
            ax[1].set_yscale("log")
            ax[1].plot([1, 2, 3], [0.5, 1.0, 2.0])
            plotting.mark_zeros(ax[1], [1, 2, 3], [0.0, 1.0, 0.0], floor=0.1, color="k")
        return fig

    p1 = plotting.save_figure(make(), "demo", tmp_path / "one")
    p2 = plotting.save_figure(make(), "demo", tmp_path / "two")
    assert [p.name for p in p1] == ["demo.png", "demo.pdf"]
    for a, b in zip(p1, p2):
        assert a.read_bytes() == b.read_bytes()
    _check_png(p1[0])
    _check_pdf(p1[1])
    assert b"matplotlib" not in p1[1].read_bytes().split(b"%%EOF")[0][-4000:]
    with pytest.raises(ValueError, match="bare file name"):
        plotting.save_figure(make(), "sub/demo", tmp_path)
    with pytest.raises(ValueError, match="unsupported figure format"):
        plotting.save_figure(make(), "demo", tmp_path, formats=("gif",))


def test_mark_zeros_draws_only_the_zeros():
    """One marker at the start of each run of zeros, a line along each run of length > 1."""
    with plotting.style_context():
        fig, ax = plotting.new_figure()
        plotting.mark_zeros(ax, [1, 2, 3, 4, 5, 6], [0.0, 2.0, 0.0, 0.0, 0.0, 1.0], floor=1e-3,
                            color="r")
    markers = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    segments = [ln for ln in ax.get_lines() if ln.get_linestyle() != "None"]
    assert [list(ln.get_xdata()) for ln in markers] == [[1], [3]]
    assert [list(ln.get_xdata()) for ln in segments] == [[3, 5]]
    for ln in ax.get_lines():
        assert set(ln.get_ydata()) == {1e-3}


def test_colours_and_units():
    assert plotting.color_for("markov(flip=0.1)") == plotting.FAMILY_COLORS["markov"]
    assert plotting.color_for("RS[6,2]_7") == plotting.FAMILY_COLORS["rs"]
    assert plotting.color_for("optimal") == plotting.SCHEDULE_COLORS["optimal"]
    assert plotting.color_for("unknown", default="#123456") == "#123456"
    # every schedule has a label and a marker, and the colours are distinct
    assert set(plotting.SCHEDULE_LABELS) == set(plotting.SCHEDULE_COLORS)
    assert set(plotting.SCHEDULE_MARKERS) == set(plotting.SCHEDULE_COLORS)
    assert len(set(plotting.SCHEDULE_COLORS.values())) == len(plotting.SCHEDULE_COLORS)
    assert plotting.unit_label(None) == "nats" and plotting.unit_label(2) == "bits"
    assert plotting.unit_scale(2) == pytest.approx(np.log(2))


def test_figure_scripts_do_not_use_pyplot_state():
    """Our scripts build Figure objects directly (no global pyplot state between scripts)."""
    for name in ("fig_riemann", "fig_curves", "fig_error_vs_steps", "fig_schedule_shapes",
                 "fig_hardness", "fig_bounds"):
        text = (FIG_DIR / f"{name}.py").read_text()
        assert "pyplot" not in text, name
        assert 'if __name__ == "__main__":' in text and "def main(outdir" in text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
