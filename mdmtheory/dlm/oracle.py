"""The exact law of a task behind the denoiser interface (a perfect model).

:class:`OracleDenoiser` wraps a task's exact conditional oracle
(:attr:`mdmtheory.tasks.Task.oracle`) so that it can stand in for a trained
:class:`~mdmtheory.dlm.Denoiser` anywhere: same call, same attributes.  Its
logits are ``log mu(X_i = v | x_U)`` (``U`` = the non-mask positions), so a
sampler run on it isolates the sampling error from the model error.
"""

from __future__ import annotations

import numpy as np
import torch

from .model import NEG_LOGIT

__all__ = ["OracleDenoiser"]


class OracleDenoiser(torch.nn.Module):
    """A task's exact conditionals as a denoiser (see the module docstring).

    ``forward(tokens (B, L)) -> logits (B, L, V)`` float32: at every position
    (masked or not) the log of the exact conditional marginal given the
    non-mask positions of the row; ``NEG_LOGIT`` for zero probabilities and
    for the mask id.  Runs the numpy oracle on CPU and returns the result on
    the device of ``tokens``.

    Raises
    ------
    ValueError
        If the task has no exact oracle, or (from the oracle) if a row's revealed
        tokens have probability zero under the task law.
    """

    def __init__(self, task):
        super().__init__()
        if getattr(task, "oracle", None) is None:
            raise ValueError(f"task {getattr(task, 'name', task)!r} has no exact oracle")
        if tuple(task.answer_tokens) != tuple(range(task.q)) or task.mask_id != task.q:
            raise ValueError("OracleDenoiser needs answer tokens 0..q-1 and mask_id = q")
        self.task = task
        self.vocab_size = int(task.vocab_size)
        self.seq_len = int(task.length)
        self.mask_id = int(task.mask_id)
        self.answer_tokens = tuple(task.answer_tokens)
        self.register_buffer("_dummy", torch.zeros(1))  # gives the module a device

    def forward(self, input_ids: torch.Tensor, attention_mask=None) -> torch.Tensor:
        if input_ids.ndim != 2 or input_ids.shape[1] != self.seq_len:
            raise ValueError(f"tokens must have shape (B, {self.seq_len}), "
                             f"got {tuple(input_ids.shape)}")
        x = input_ids.detach().cpu().numpy()
        revealed = x != self.mask_id
        probs = self.task.oracle(np.where(revealed, x, 0), revealed)
        with np.errstate(divide="ignore"):
            lp = np.where(probs > 0, np.log(np.maximum(probs, 1e-300)), NEG_LOGIT)
        out = np.full(x.shape + (self.vocab_size,), NEG_LOGIT, dtype=np.float32)
        out[..., :self.task.q] = lp
        return torch.as_tensor(out, device=input_ids.device)
