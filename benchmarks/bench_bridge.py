#!/usr/bin/env python
"""Benchmark of the torch bridge: AntiBERTy throughput and time-to-curve.

Measures, on the device at hand (CUDA if available, else CPU):

1. forward-pass throughput of AntiBERTy at length 120 (122 tokens with
   ``[CLS]``/``[SEP]``), float32 (the baseline) and bf16 autocast side by side;
2. the time to an AntiBERTy information curve with every 95 % CI half-width
   ``<= 0.01`` nats.  By default this is *projected*
   from the measured throughput and the per-row variance of the cached
   experiment (``figures/fig_bridge_validation.json``, section ``antiberty``,
   from ``scripts/bridge_experiments.py antiberty``): the half-width scales as
   ``1/sqrt(rows)``, so ``rows_needed = rows * (halfwidth / 0.01)^2``.  Each row
   costs, on the earlier path, one one-token-per-step sample (``n`` passes) plus its
   estimation passes; with the sampling passes reused as estimation rows, ``n``
   passes plus the tail passes only (both projections are printed).  ``--full``
   runs the real thing with the sampling passes reused (rounds of 256 rows until
   0.01; hours on a CPU).

Writes its table to ``benchmarks/RESULTS.md`` (section ``bench_bridge``).
Timings on a shared machine are noisy: re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import machine_line, markdown_table, write_section  # noqa: E402

LENGTH = 120
TARGET = 0.01


def throughput(model, autocast: str | None, batch: int, reps: int) -> dict:
    import torch

    from mdmtheory.bridge.estimate import autocast_context

    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.integers(model.vocab_size, size=(batch, LENGTH)), device=model.device)
    m = torch.as_tensor(rng.random((batch, LENGTH)) < 0.5, device=model.device)
    with autocast_context(model.device, autocast):
        model.log_probs(x, m)  # warm-up
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            model.log_probs(x, m)
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        dt = (time.perf_counter() - t0) / reps
    tokens = batch * (LENGTH + 2)
    return {"autocast": autocast or "fp32", "seconds_per_batch": dt,
            "passes_per_s": batch / dt, "tokens_per_s": tokens / dt}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--full", action="store_true", help="run the full estimate to 0.01 nats")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    try:
        from mdmtheory.bridge.antiberty import load_antiberty
        model = load_antiberty()
    except ModuleNotFoundError as exc:
        print(f"bench_bridge: skipped ({exc})")
        return 0
    dev = model.device
    devname = torch.cuda.get_device_name(0) if dev.type == "cuda" else "CPU"
    modes = [None, "bf16"] + (["fp16"] if dev.type == "cuda" else [])
    rows = [throughput(model, a, args.batch, args.reps) for a in modes]
    base = rows[0]["tokens_per_s"]
    table1 = markdown_table(
        ["precision", "batch", "passes/s", "tokens/s", "ratio vs fp32"],
        [[r["autocast"], args.batch, f"{r['passes_per_s']:.1f}", f"{r['tokens_per_s']:.0f}",
          f"{r['tokens_per_s'] / base:.2f}"] for r in rows])
    print(table1)

    res_path = ROOT / "figures" / "fig_bridge_validation.json"
    sec = json.loads(res_path.read_text()).get("antiberty") if res_path.exists() else None
    lines = [f"Device: **{devname}** ({machine_line()}; torch {torch.__version__}, "
             f"{torch.get_num_threads()} thread(s)). No GPU was available to this run."
             if dev.type == "cpu" else f"Device: **{devname}**",
             "", "AntiBERTy forward passes at length 120 (122 tokens):", "", table1, ""]
    if sec is not None:
        c = sec["curve"]
        R, passes, secs = c["rows"], c["passes"], c["seconds"]
        hw = c["entropy"]["max_halfwidth"]
        n = c["n"]
        per_row = passes / R + n  # estimation passes + the row's own sample
        from mdmtheory.bridge.estimate import tail_plan
        per_row_new = n + len(tail_plan(n, int(c["positions_per_cell"])))
        need = int(np.ceil(R * (hw / TARGET) ** 2))
        used = next(r for r in rows if r["autocast"] == (c["autocast"] or "fp32"))
        proj = need * per_row / used["passes_per_s"]
        best = max(rows, key=lambda r: r["passes_per_s"])
        proj_best = need * per_row / best["passes_per_s"]
        proj_new = need * per_row_new / used["passes_per_s"]
        samp = sec.get("sampling_seconds")
        extra = [] if best is used else [
            [f"projected time to 0.01 on this device ({best['autocast']}) (h)",
             f"{proj_best / 3600:.1f}"]]
        table2 = markdown_table(
            ["quantity", "value"],
            [["rows (sampled sequences) in the cached run", R],
             ["estimation passes (positions_per_cell = "
              f"{c['positions_per_cell']})", f"{passes:,}"],
             ["measured estimation time (s)", f"{secs:.0f}"],
             ["measured sampling time (s)", f"{samp:.0f}" if samp else "n/a"],
             ["precision of the cached run", c["autocast"] or "fp32"],
             ["max 95 % CI half-width reached (nats)", f"{hw:.4f}"],
             ["rows needed for half-width <= 0.01 (projected)", f"{need:,}"],
             ["passes per row (sample + estimate)", f"{per_row:.0f}"],
             [f"projected time to 0.01 on this device ({used['autocast']}) (h)",
              f"{proj / 3600:.1f}"],
             ["passes per row with the sampling passes reused", f"{per_row_new:.0f}"],
             [f"projected time to 0.01, sampling passes reused ({used['autocast']}) (h)",
              f"{proj_new / 3600:.1f}"]] + extra)
        print(table2)
        lines += ["Time to an AntiBERTy curve (n = 120) with every CI half-width <= 0.01 "
                  "nats, projected from the cached run's per-row variance "
                  "(half-width ~ 1/sqrt(rows)):", "", table2, ""]
    if args.full:
        from mdmtheory.bridge.estimate import estimate_from_rows
        from mdmtheory.bridge.measured import SampledRows, sample_rows

        t0 = time.perf_counter()
        parts = []
        while True:
            parts.append(sample_rows(model, 256, LENGTH, seed=0, row_offset=256 * len(parts),
                                     autocast="bf16"))
            est = estimate_from_rows(model, SampledRows.concatenate(parts),
                                     positions_per_cell=10, autocast="bf16")
            if est.max_halfwidth("entropy") <= TARGET:
                break
        wall = time.perf_counter() - t0
        lines += [f"**Full run** (sampling + estimation, bf16): {est.n_rows} rows, max "
                  f"half-width {est.max_halfwidth():.4f} nats, {wall:.0f} s wall-clock.", ""]
    lines.append("Timings were taken on a shared machine; re-measure on a quiet one.")
    write_section("bench_bridge", "## bench_bridge\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
