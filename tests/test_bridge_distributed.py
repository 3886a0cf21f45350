"""Data-parallel rows under torch.distributed (gloo, 2 CPU processes) = one process.

The two-process run is spawned with ``torch.multiprocessing`` and a gloo file
rendezvous (what ``torchrun --nproc_per_node=2`` sets up through the environment).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from mdmtheory import families  # noqa: E402
from mdmtheory.bridge.distributed import estimate_distributed, rows_of_rank  # noqa: E402
from mdmtheory.bridge.models import OracleModel  # noqa: E402

NUM, LEN, SEED, PPC = 10, 6, 3, 3


def _model():
    return OracleModel(families.random_dirichlet(LEN, 3, alpha=0.6, seed=12))


def _worker(rank, size, init, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=size)
    try:
        rows, est, info = estimate_distributed(_model(), NUM, LEN, seed=SEED,
                                               positions_per_cell=PPC, batch_size=2,
                                               chunk_rows=2)
        if rank == 1:
            np.savez(out, x=rows.x, nll=rows.nll, ent=rows.ent, DH=est.draws_entropy,
                     DN=est.draws_cross_entropy, computed=info["computed_rows"])
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="torch.distributed with gloo is not available")
def test_two_gloo_processes_equal_one_process_row_for_row(tmp_path):
    import torch.multiprocessing as mp

    out = tmp_path / "two.npz"
    mp.spawn(_worker, args=(2, f"file://{tmp_path / 'rdv'}", str(out)), nprocs=2, join=True)
    two = np.load(out)
    rows, est, info = estimate_distributed(_model(), NUM, LEN, seed=SEED,
                                           positions_per_cell=PPC, batch_size=4)
    assert info["world_size"] == 1 and int(two["computed"]) == NUM // 2
    np.testing.assert_array_equal(two["x"], rows.x)
    np.testing.assert_array_equal(two["nll"], rows.nll)
    np.testing.assert_array_equal(two["DH"], est.draws_entropy)
    np.testing.assert_array_equal(two["DN"], est.draws_cross_entropy)


def test_streamed_run_resumes(tmp_path):
    full_rows, full_est, info = estimate_distributed(_model(), NUM, LEN, seed=SEED,
                                                     positions_per_cell=PPC, batch_size=3,
                                                     out_dir=tmp_path)
    files = sorted(tmp_path.glob("rows_*.npz"))
    assert len(files) == 4 and info["computed_rows"] == NUM
    files[1].unlink()  # a "killed" run: one chunk lost
    rows, est, info = estimate_distributed(_model(), NUM, LEN, seed=SEED,
                                           positions_per_cell=PPC, batch_size=3,
                                           out_dir=tmp_path)
    assert info["computed_rows"] == 3 and info["resumed_rows"] == NUM - 3
    np.testing.assert_array_equal(rows.x, full_rows.x)
    np.testing.assert_array_equal(est.draws_entropy, full_est.draws_entropy)
    with pytest.raises(ValueError, match="fresh out_dir"):
        estimate_distributed(_model(), NUM, LEN, seed=SEED + 1, positions_per_cell=PPC,
                             out_dir=tmp_path)


def test_rows_of_rank_partition():
    parts = [rows_of_rank(11, r, 3) for r in range(3)]
    assert sorted(np.concatenate(parts).tolist()) == list(range(11))
