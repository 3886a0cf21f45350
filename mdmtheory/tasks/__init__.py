"""Generation tasks with a known law and a checkable answer, for small trained dLLMs.

Each task (:class:`~mdmtheory.tasks.base.Task`) gives sequences of ``length``
tokens, a law of prompts (clue positions revealed, the rest ``mask_id``),
a checker of answers and, where the law is small, its exact conditionals.

* ``code`` (L 16, q 3): uniform on a ``[16, 6]`` code over ``F_3`` whose
  parity symbols are scaled copies of message symbols; 3 clues; correct = a
  codeword.  Exact law: uniform on the consistent codewords; exact ``Z`` by ranks.
* ``markov`` (L 32, q 8): a stationary sparse Markov chain (3 successors per
  state); 8 clues; correct = every transition allowed.  Exact conditionals by
  forward-backward; exact ``Z`` and entropy rate.
* ``sudoku4`` (L 16, q 4): uniform on the 288 valid 4x4 grids; 3 to 6 clues;
  correct = a valid grid.  Exact law: uniform on the valid completions.
* ``sudoku9`` (L 81, q 9): 9x9 grids from a transformation family; 30 to 50
  clues; correct = a valid grid.  No exact law.
* ``kjv`` (L 64, 62 characters): held-out KJV windows, 32-character prefix;
  no checkable answer (``is_correct`` checks that generated words are KJV words).

Use :func:`get_task`::

    task = get_task("sudoku4")
    prompts = task.prompts(100, seed=0)        # (100, 16) LongTensor, mask_id = 4
    ok = task.is_correct(answers, prompts)      # (100,) BoolTensor
    law = task.exact_distribution(prompts[0])   # Distribution over the free cells
    probs = task.oracle(x, revealed_mask)       # exact conditionals (B, 16, 4)
"""

from __future__ import annotations

from .base import HELDOUT_MODULUS, SupportOracle, Task, prompt_hash
from .code import LinearCodeTask, default_code_generator
from .kjv import KJVTask
from .markov import MarkovTask, sparse_transition
from .sudoku import Sudoku4Task, Sudoku9Task, all_grids, is_valid_grid

__all__ = ["get_task", "TASKS", "Task", "SupportOracle", "prompt_hash", "HELDOUT_MODULUS",
           "LinearCodeTask", "default_code_generator", "MarkovTask", "sparse_transition",
           "Sudoku4Task", "Sudoku9Task", "all_grids", "is_valid_grid", "KJVTask"]

#: Task name -> constructor (keyword arguments are forwarded by :func:`get_task`).
TASKS = {
    "code": LinearCodeTask,
    "markov": MarkovTask,
    "sudoku4": Sudoku4Task,
    "sudoku9": Sudoku9Task,
    "kjv": KJVTask,
}

_CACHE: dict[str, Task] = {}


def get_task(name: str, **kwargs) -> Task:
    """The task ``name`` (one of :data:`TASKS`); without ``kwargs`` the default
    instance is cached and shared."""
    if not isinstance(name, str) or name not in TASKS:
        raise ValueError(f"name: unknown task {name!r}; choose one of {sorted(TASKS)}")
    if kwargs:
        return TASKS[name](**kwargs)
    if name not in _CACHE:
        _CACHE[name] = TASKS[name]()
    return _CACHE[name]
