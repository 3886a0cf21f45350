"""Data-parallel estimation over rows with ``torch.distributed``; streamed and resumable.

Rows are independent and each is seeded by its global index alone
(:func:`mdmtheory.bridge.measured.row_rng`), so ``N`` processes can split them --
rank ``p`` of ``N`` takes the rows ``r`` with ``r mod N == p`` -- and the result,
gathered and ordered by row index, is the single-process result row for row
(bit for bit when the model's forward pass does not depend on the batch, as for
the exact oracle; up to float rounding of batched matrix products otherwise).

Launch with ``torchrun --nproc_per_node=N script.py`` (NCCL on GPUs, gloo on
CPU); :func:`init_from_env` initialises the process group from torchrun's
environment.  Without an initialised process group everything runs in one
process.

Streaming and resume: with ``out_dir``, each rank writes every finished chunk of
rows to ``out_dir/rows_<first>_<last>.npz`` (atomic rename) before moving on; a
restarted run loads the chunks already on disk and computes only the missing
rows.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .estimate import ModelCurveEstimate, estimate_from_draws, tail_draws
from .measured import SampledRows, sample_rows
from .models import MaskedModel

__all__ = ["init_from_env", "world", "rows_of_rank", "estimate_distributed"]

_FIELDS = ("x", "order", "ent", "nll", "row_ids", "DH", "DN")


def init_from_env(backend: str | None = None) -> bool:
    """Initialise the default process group from torchrun's environment variables.

    Returns True when a group is (now) initialised; False when not launched by
    torchrun (``WORLD_SIZE`` unset).  ``backend`` defaults to NCCL with CUDA,
    else gloo.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return True
    if "WORLD_SIZE" not in os.environ or not dist.is_available():
        return False
    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend=backend)
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    return True


def world() -> tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` without an initialised process group."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def rows_of_rank(num: int, rank: int, size: int) -> np.ndarray:
    """Global row indices of one rank: ``r`` with ``r mod size == rank``."""
    from .._validation import as_int, check_nbytes

    num = as_int(num, "num", minimum=0)
    size = as_int(size, "size", minimum=1)
    rank = as_int(rank, "rank", minimum=0, maximum=size - 1)
    check_nbytes(8.0 * num / size, what=f"row indices of {num} rows")
    return np.arange(rank, num, size, dtype=np.int64)


def _chunk_path(out_dir: Path, ids: np.ndarray) -> Path:
    return out_dir / f"rows_{int(ids[0]):09d}_{int(ids[-1]):09d}.npz"


def _load_done(out_dir: Path | None, seed: int, length: int, ppc: int) -> dict[int, dict]:
    done: dict[int, dict] = {}
    if out_dir is None or not out_dir.is_dir():
        return done
    for f in sorted(out_dir.glob("rows_*.npz")):
        with np.load(f) as z:
            if (int(z["seed"]), int(z["length"]), int(z["ppc"])) != (seed, length, ppc):
                raise ValueError(f"{f} was written with another seed/length/"
                                 "positions_per_cell; use a fresh out_dir")
            part = {k: z[k] for k in _FIELDS}
            part["passes"] = int(z["passes"])
        for i, r in enumerate(part["row_ids"]):
            done[int(r)] = {k: part[k][i] for k in _FIELDS} | {
                "passes": part["passes"] / part["row_ids"].size}
    return done


def estimate_distributed(model: MaskedModel, num: int, length: int, *, seed: int = 0,
                         positions_per_cell: int = 1, batch_size: int = 64,
                         chunk_rows: int | None = None, out_dir: str | Path | None = None,
                         level: float = 0.95, autocast: str | None = None,
                         progress: bool = False
                         ) -> tuple[SampledRows, ModelCurveEstimate, dict[str, Any]]:
    """Sample ``num`` rows, estimate the curve, over all ranks; every rank gets the result.

    Parameters
    ----------
    model : MaskedModel
        On this rank's device.
    num, length : int
        Rows and sequence length.
    seed : int
        Row ``r`` is seeded by ``(seed, r)`` alone.
    positions_per_cell, batch_size, level, autocast :
        As in :func:`~mdmtheory.bridge.estimate.estimate_from_rows`.
    chunk_rows : int, optional
        Rows per streamed chunk (default ``batch_size``).
    out_dir : path, optional
        Directory for the streamed chunks (shared by all ranks); a rerun resumes.

    Returns
    -------
    (rows, est, info)
        ``rows`` and ``est`` ordered by row index; ``info`` has ``rank``,
        ``world_size``, ``computed_rows`` (by this rank in this run),
        ``resumed_rows`` and ``passes_this_run``.
    """
    import torch.distributed as dist

    from .._validation import as_int

    num = as_int(num, "num", minimum=2)
    length = as_int(length, "length", minimum=1)
    ppc = as_int(positions_per_cell, "positions_per_cell", minimum=1)
    chunk = as_int(chunk_rows or batch_size, "chunk_rows", minimum=1)
    rank, size = world()
    odir = Path(out_dir) if out_dir is not None else None
    if odir is not None and rank == 0:
        odir.mkdir(parents=True, exist_ok=True)
    if size > 1:
        dist.barrier()
    done = _load_done(odir, seed, length, ppc)
    mine = [r for r in rows_of_rank(num, rank, size) if int(r) not in done]
    resumed = sum(1 for r in rows_of_rank(num, rank, size) if int(r) in done)
    t0 = time.perf_counter()
    parts: list[dict] = []
    passes_run = 0
    for c0 in range(0, len(mine), chunk):
        ids = np.asarray(mine[c0:c0 + chunk], dtype=np.int64)
        rows = sample_rows(model, ids.size, length, seed=seed, row_ids=ids,
                           batch_size=batch_size, autocast=autocast, progress=progress)
        DH, DN, tp = tail_draws(model, rows, ppc, batch_size=batch_size, autocast=autocast)
        part = {"x": rows.x, "order": rows.order, "ent": rows.ent, "nll": rows.nll,
                "row_ids": ids, "DH": DH, "DN": DN, "passes": rows.passes + tp}
        passes_run += part["passes"]
        if odir is not None:
            path = _chunk_path(odir, ids)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, seed=seed, length=length, ppc=ppc,
                     **{k: part[k] for k in _FIELDS}, passes=part["passes"])
            os.replace(tmp, path)
        parts.append(part)
    secs = time.perf_counter() - t0
    local = {"parts": parts, "passes": passes_run, "seconds": secs}
    if size > 1:
        gathered: list[Any] = [None] * size
        dist.all_gather_object(gathered, local)
    else:
        gathered = [local]
    by_row: dict[int, dict] = dict(done)
    for g in gathered:
        for part in g["parts"]:
            for i, r in enumerate(part["row_ids"]):
                by_row[int(r)] = {k: part[k][i] for k in _FIELDS} | {
                    "passes": part["passes"] / part["row_ids"].size}
    missing = [r for r in range(num) if r not in by_row]
    if missing:
        raise RuntimeError(f"rows {missing[:5]} were computed by no rank")
    order = [by_row[r] for r in range(num)]

    def stack(k):
        return np.stack([o[k] for o in order])

    total_passes = int(round(sum(o["passes"] for o in order)))
    total_secs = float(sum(g["seconds"] for g in gathered))
    rows_all = SampledRows(stack("x"), stack("order"), stack("ent"), stack("nll"),
                           stack("row_ids").astype(np.int64), int(seed),
                           total_passes, total_secs)
    est = estimate_from_draws(model, stack("DH"), stack("DN"), row_ids=rows_all.row_ids,
                              passes=total_passes, sampling_passes=num * length,
                              seconds=total_secs, sampling_seconds=total_secs,
                              positions_per_cell=ppc, seed=seed, level=level,
                              autocast=autocast)
    info = {"rank": rank, "world_size": size, "computed_rows": len(mine),
            "resumed_rows": resumed, "passes_this_run": passes_run}
    return rows_all, est, info
