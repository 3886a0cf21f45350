"""Data-parallel rows under torch.distributed (gloo, 2 CPU processes) = one process.

By default the two-process run is launched by ``torchrun --standalone
--nproc_per_node=2`` (``python -m torch.distributed.run``), whose environment
``init_from_env`` reads; the slow set also spawns it with ``torch.multiprocessing``
and a gloo file rendezvous.
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


@pytest.mark.slow  # the same check through torchrun runs by default (below)
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


_TORCHRUN_SCRIPT = """
import sys
import numpy as np
import torch
torch.set_num_threads(1)
import torch.distributed as dist
from mdmtheory import families
from mdmtheory.bridge.distributed import estimate_distributed, init_from_env, world
from mdmtheory.bridge.models import OracleModel
assert init_from_env("gloo")
model = OracleModel(families.random_dirichlet({LEN}, 3, alpha=0.6, seed=12))
rows, est, info = estimate_distributed(model, {NUM}, {LEN}, seed={SEED},
                                       positions_per_cell={PPC}, batch_size=2, chunk_rows=2)
rank, size = world()
if rank == 0:
    np.savez(sys.argv[1], x=rows.x, nll=rows.nll, DH=est.draws_entropy,
             DN=est.draws_cross_entropy, size=size, computed=info["computed_rows"])
dist.destroy_process_group()
"""


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="torch.distributed with gloo is not available")
def test_torchrun_two_cpu_processes_equal_one_process(tmp_path):
    """``torchrun --standalone --nproc_per_node=2`` (environment rendezvous read by
    ``init_from_env``, gloo on CPU) gives the single-process estimate row for row."""
    import os
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(_TORCHRUN_SCRIPT.format(LEN=LEN, NUM=NUM, SEED=SEED, PPC=PPC))
    out = tmp_path / "two.npz"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node=2", str(script), str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = np.load(out)
    rows, est, _ = estimate_distributed(_model(), NUM, LEN, seed=SEED,
                                        positions_per_cell=PPC, batch_size=4)
    assert int(two["size"]) == 2 and int(two["computed"]) == NUM // 2
    np.testing.assert_array_equal(two["x"], rows.x)
    np.testing.assert_array_equal(two["nll"], rows.nll)
    np.testing.assert_array_equal(two["DH"], est.draws_entropy)
    np.testing.assert_array_equal(two["DN"], est.draws_cross_entropy)
