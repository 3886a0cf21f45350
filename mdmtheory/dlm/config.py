"""Training configurations of the project's small masked diffusion LMs."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import as_choice, as_float, as_int
from .model import ArchConfig

__all__ = ["DLMConfig", "CONFIGS"]


@dataclass(frozen=True)
class DLMConfig:
    """Task, architecture and optimisation hyper-parameters of one training run.

    ``objective``: ``"masked_ce"`` (mean cross-entropy over the masked
    positions of a batch) or ``"nelbo"`` (the MDLM continuous-time negative
    ELBO per token, ``E_t[(1/t) sum_{i masked} -log p(x_i | x_t)] / L``;
    Sahoo et al. 2024).  ``eval_windows``: held-out rows for the final metrics.
    ``init``: a checkpoint (committed name or path) whose weights start the run
    (a continued run: same architecture, fresh optimiser and learning-rate
    schedule); ``None`` starts from the seeded random initialisation.
    """

    name: str
    task: str = "kjv"
    seq_len: int = 64
    hidden: int = 128
    layers: int = 4
    heads: int = 4
    intermediate: int = 512
    batch: int = 64
    steps: int = 3000
    lr: float = 2e-3
    warmup: int = 100
    objective: str = "masked_ce"
    conv_kernel: int = 5
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    seed: int = 0
    eval_windows: int = 512
    init: str | None = None

    def __post_init__(self):
        from ..tasks import TASKS

        for key in ("name", "task"):
            v = getattr(self, key)
            if not isinstance(v, str) or not v:
                raise ValueError(f"{key} must be a non-empty string, got {v!r}")
        as_choice(self.task, "task", sorted(TASKS))
        as_choice(self.objective, "objective", ("masked_ce", "nelbo"))
        ints = {"seq_len": 2, "hidden": 1, "layers": 1, "heads": 1, "intermediate": 1,
                "batch": 1, "steps": 1, "warmup": 0, "conv_kernel": 1, "seed": 0,
                "eval_windows": 1}
        for key, lo in ints.items():
            object.__setattr__(self, key, as_int(getattr(self, key), key, minimum=lo))
        if self.hidden % self.heads:
            raise ValueError(f"hidden={self.hidden} must be a multiple of heads={self.heads}")
        if self.conv_kernel % 2 == 0:
            raise ValueError(f"conv_kernel must be odd (it keeps the length), got "
                             f"{self.conv_kernel}")
        object.__setattr__(self, "lr", as_float(self.lr, "lr", minimum=0.0,
                                                strict_minimum=True))
        object.__setattr__(self, "weight_decay",
                           as_float(self.weight_decay, "weight_decay", minimum=0.0))
        object.__setattr__(self, "grad_clip", as_float(self.grad_clip, "grad_clip", minimum=0.0,
                                                       strict_minimum=True))
        if self.init is not None and (not isinstance(self.init, str) or not self.init):
            raise ValueError(f"init must be None or a checkpoint name/path, got {self.init!r}")

    @property
    def arch(self) -> ArchConfig:
        return ArchConfig(self.hidden, self.layers, self.heads, self.intermediate,
                          self.conv_kernel)


#: ``cpu-tiny`` trained the first KJV model, which ``kjv-cont`` continues (the
#: committed ``kjv``); ``code``, ``markov``, ``sudoku4`` the committed task
#: models; ``sudoku9`` is the one-thread CPU try at 9x9 Sudoku; ``gpu`` and
#: ``sudoku9-gpu`` are sized for a CUDA device and were not run here.
CONFIGS = {
    "cpu-tiny": DLMConfig(name="cpu-tiny"),
    "gpu": DLMConfig(name="gpu", seq_len=256, hidden=384, layers=6, heads=6, intermediate=1536,
                     batch=128, steps=20000, lr=5e-4, warmup=1000, eval_windows=2048,
                     objective="nelbo"),
    "code": DLMConfig(name="code", task="code", seq_len=16, hidden=64, layers=3, heads=4,
                      intermediate=256, batch=64, steps=2000, lr=3e-3, warmup=100,
                      conv_kernel=3, eval_windows=2048),
    "markov": DLMConfig(name="markov", task="markov", seq_len=32, hidden=64, layers=2, heads=4,
                        intermediate=128, batch=64, steps=2000, lr=3e-3, warmup=100,
                        conv_kernel=5, eval_windows=2048),
    "sudoku4": DLMConfig(name="sudoku4", task="sudoku4", seq_len=16, hidden=64, layers=3,
                         heads=4, intermediate=256, batch=64, steps=2500, lr=3e-3, warmup=100,
                         conv_kernel=3, eval_windows=2048),
    "kjv-cont": DLMConfig(name="kjv-cont", steps=700, lr=5e-4, warmup=50, eval_windows=2048,
                          init="kjv"),
    "sudoku9": DLMConfig(name="sudoku9", task="sudoku9", seq_len=81, hidden=64, layers=3,
                         heads=4, intermediate=256, batch=64, steps=1500, lr=3e-3, warmup=100,
                         conv_kernel=3, eval_windows=1024),
    "sudoku9-gpu": DLMConfig(name="sudoku9-gpu", task="sudoku9", seq_len=81, hidden=256,
                             layers=6, heads=8, intermediate=1024, batch=256, steps=20000,
                             lr=5e-4, warmup=1000, conv_kernel=3, eval_windows=2048),
}
