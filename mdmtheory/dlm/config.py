"""Training configurations of the project's small masked diffusion LMs."""

from __future__ import annotations

from dataclasses import dataclass

from .model import ArchConfig

__all__ = ["DLMConfig", "CONFIGS"]


@dataclass(frozen=True)
class DLMConfig:
    """Task, architecture and optimisation hyper-parameters of one training run.

    ``objective``: ``"masked_ce"`` (mean cross-entropy over the masked
    positions of a batch) or ``"nelbo"`` (the MDLM continuous-time negative
    ELBO per token, ``E_t[(1/t) sum_{i masked} -log p(x_i | x_t)] / L``;
    Sahoo et al. 2024).  ``eval_windows``: held-out rows for the final metrics.
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

    @property
    def arch(self) -> ArchConfig:
        return ArchConfig(self.hidden, self.layers, self.heads, self.intermediate,
                          self.conv_kernel)


#: ``cpu-tiny`` is the committed KJV model (``kjv``); ``code``, ``markov``,
#: ``sudoku4`` the committed task models; ``gpu`` and ``sudoku9`` are sized
#: for a CUDA device and were not run on the project machine.
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
    "sudoku9": DLMConfig(name="sudoku9", task="sudoku9", seq_len=81, hidden=256, layers=6,
                         heads=8, intermediate=1024, batch=256, steps=20000, lr=5e-4,
                         warmup=1000, conv_kernel=3, eval_windows=2048),
}
