#!/usr/bin/env python
"""Peak memory of one estimation batch at a 126k vocabulary: full vs masked-only path.

A tiny random ``BertForMaskedLM`` (hidden 64, 2 layers) with LLaDA's vocabulary
size (126,464 ids, mask id 126,336) runs one estimation batch -- batch 8,
length 256, a uniform number of masked positions per row as in the estimator --
through

* ``fused=False``: the earlier path, ``log_probs`` at every position (LM head on
  all positions, float32 ``log_softmax``) then entropy/NLL;
* ``fused=True``: LM head only at the masked positions, entropy/NLL fused in
  float64 chunks (:mod:`mdmtheory.bridge.heads`).

Each path runs in a fresh subprocess; the figure is the growth of the process's
peak resident set size (``ru_maxrss``) during the batch, over the peak reached
after building the model and a warm-up batch.  Also checks that both paths give
the same entropies (float32 vs float64: 1e-4 nats).  Appends to ``benchmarks/RESULTS.md``
via the caller; prints a JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
torch.set_num_threads(1)
import transformers
from mdmtheory.bridge.models import HFMaskedLM, masked_entropy_nll
V, L, B = 126464, 256, 8
cfg = transformers.BertConfig(vocab_size=V, hidden_size=64, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=128,
                              max_position_embeddings=L + 2)
torch.manual_seed(0)
net = transformers.BertForMaskedLM(cfg).eval()
specials = {0, 1, 2, 126081, 126336, 126348}
real = [i for i in range(V) if i not in specials]
model = HFMaskedLM(net, mask_id=126336, real_ids=real, pad_id=0, prefix_ids=[1],
                   suffix_ids=[2], name="tiny-126k")
fused = sys.argv[1] == "fused"
rng = np.random.default_rng(0)
x = torch.as_tensor(rng.integers(model.vocab_size, size=(B, L)))
mk = np.zeros((B, L), dtype=bool)
for b in range(B):
    mk[b, rng.choice(L, size=int(rng.integers(1, L + 1)), replace=False)] = True
mk = torch.as_tensor(mk)
masked_entropy_nll(model, x[:1, :8], mk[:1, :8], fused=fused)  # warm-up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
H, N = masked_entropy_nll(model, x, mk, fused=fused)
dt = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.save(sys.argv[2], H.double().numpy())
print(json.dumps({"path": sys.argv[1], "peak_before_kib": before, "peak_after_kib": after,
                  "delta_mib": (after - before) / 1024, "seconds": dt,
                  "masked_positions": int(mk.sum())}))
"""


def run(path: str, out: str) -> dict:
    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    import os
    env = {**os.environ, **env}
    r = subprocess.run([sys.executable, "-c", CHILD, path, out], capture_output=True,
                       text=True, env=env, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    import numpy as np

    full = run("full", "/tmp/_bridge_mem_full.npy")
    fused = run("fused", "/tmp/_bridge_mem_fused.npy")
    dH = float(np.abs(np.load("/tmp/_bridge_mem_full.npy")
                      - np.load("/tmp/_bridge_mem_fused.npy")).max())
    res = {"full": full, "fused": fused, "ratio": fused["delta_mib"] / full["delta_mib"],
           "max_abs_dH_nats": dH}
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
