"""Task generators, checkers and exact laws against independent brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mdmtheory.families import markov_chain  # noqa: E402
from mdmtheory.information import information_curve  # noqa: E402
from mdmtheory.tasks import (  # noqa: E402
    LinearCodeTask,
    MarkovTask,
    Sudoku4Task,
    Sudoku9Task,
    all_grids,
    get_task,
    is_valid_grid,
)


# ---------------------------------------------------------------------------- brute force
def _brute_valid(grid: np.ndarray, box: int) -> bool:
    """Set-based Sudoku check, written independently of ``is_valid_grid``."""
    s = box * box
    g = [list(grid[r * s:(r + 1) * s]) for r in range(s)]
    full = set(range(s))
    for r in range(s):
        if set(g[r]) != full or {g[c][r] for c in range(s)} != full:
            return False
    for br in range(0, s, box):
        for bc in range(0, s, box):
            if {g[br + i][bc + j] for i in range(box) for j in range(box)} != full:
                return False
    return True


@pytest.fixture(scope="module")
def brute_grids():
    """Every valid 4x4 grid: pairs of valid 2-row bands (each a pair of permuted rows
    with distinct 2x2 boxes) whose columns hold distinct digits, checked by set logic."""
    perms = list(itertools.permutations(range(4)))
    bands = [a + b for a in perms for b in perms
             if {a[0], a[1], b[0], b[1]} == {a[2], a[3], b[2], b[3]} == set(range(4))]
    out = [top + bot for top in bands for bot in bands if _brute_valid(np.array(top + bot), 2)]
    return np.array(sorted(out), dtype=np.int64)


def _uniform_law_on(rows: np.ndarray, q: int) -> np.ndarray:
    t = np.zeros((q,) * rows.shape[1])
    for r in rows:
        t[tuple(r)] += 1.0
    return t / t.sum()


# ---------------------------------------------------------------------------- sudoku
def test_sudoku4_enumeration_has_288_grids(brute_grids):
    assert len(brute_grids) == 288
    np.testing.assert_array_equal(all_grids(2), brute_grids)


def test_is_valid_grid_matches_brute_force(brute_grids):
    rng = np.random.default_rng(0)
    bad = brute_grids[rng.integers(0, 288, 200)].copy()
    cells = rng.integers(0, 16, 200)
    bad[np.arange(200), cells] = (bad[np.arange(200), cells] + rng.integers(1, 4, 200)) % 4
    rand = rng.integers(0, 4, (300, 16))
    swapped = brute_grids[:50].copy()
    swapped[:, [0, 1]] = swapped[:, [1, 0]]  # swapping two cells of a row keeps the row valid
    for x in (brute_grids, bad, rand, swapped):
        np.testing.assert_array_equal(is_valid_grid(x, 2), [_brute_valid(r, 2) for r in x])
    t9 = Sudoku9Task()
    x, _ = t9.heldout_batch(20, seed=3)
    assert all(_brute_valid(r, 3) for r in x.numpy())
    y = x.numpy().copy()
    y[:, 0] = (y[:, 0] + 1) % 9
    assert not is_valid_grid(y, 3).any()


def test_sudoku4_exact_law_is_uniform_over_valid_completions(brute_grids):
    task = Sudoku4Task(clues=(6, 8))  # <= 10 free cells: dense tables of <= 4^10 cells
    prompts = task.prompts(6, seed=5).numpy()
    for p in prompts:
        free = np.flatnonzero(p == task.mask_id)
        cons = brute_grids[(brute_grids[:, p != task.mask_id] == p[p != task.mask_id]).all(1)]
        want = _uniform_law_on(cons[:, free], 4)
        got = task.exact_distribution(p).p
        np.testing.assert_allclose(got, want, atol=1e-15)
        assert task.num_completions(p[None])[0] == len(cons) >= 1


def test_sudoku4_exact_law_by_filling_every_free_cell():
    """Few free cells: the law against all 4^k fillings checked cell by cell."""
    task = Sudoku4Task(clues=(10, 10))
    p = task.prompts(1, seed=2).numpy()[0]
    free = np.flatnonzero(p == task.mask_id)
    fills = np.array(list(itertools.product(range(4), repeat=free.size)))
    ok = []
    for f in fills:
        g = p.copy()
        g[free] = f
        ok.append(_brute_valid(g, 2))
    want = _uniform_law_on(fills[np.array(ok)], 4)
    np.testing.assert_allclose(task.exact_distribution(p).p, want, atol=1e-15)


def test_sudoku4_oracle_conditionals_match_enumeration(brute_grids):
    task = get_task("sudoku4")
    rng = np.random.default_rng(1)
    x = brute_grids[rng.integers(0, 288, 40)]
    rev = rng.random((40, 16)) < 0.3
    probs = task.oracle(x, rev)
    for b in range(40):
        cons = brute_grids[(brute_grids[:, rev[b]] == x[b, rev[b]]).all(1)]
        for i in range(16):
            want = np.bincount(cons[:, i], minlength=4) / len(cons)
            np.testing.assert_allclose(probs[b, i], want, atol=1e-15)


# ---------------------------------------------------------------------------- code
def test_code_codewords_are_the_kernel_of_the_parity_check():
    """The enumerated affine code is the whole coset b + ker H, H = [-A^T | I]: its
    p^d words are distinct, all in the coset, and the coset has exactly p^d elements."""
    task = get_task("code")
    G, p, b = task.generator, task.p, task.shift
    d, n = G.shape
    np.testing.assert_array_equal(G[:, :d], np.eye(d, dtype=np.int64))  # systematic
    assert b.any()  # the default code is shifted: the zero word is not a codeword
    H = np.concatenate([(-G[:, d:].T) % p, np.eye(n - d, dtype=np.int64)], axis=1)
    words = task.codewords
    assert len({w.tobytes() for w in words}) == len(words) == p ** d
    assert (((words - b) @ H.T) % p == 0).all()
    rng = np.random.default_rng(0)
    test = np.concatenate([words[rng.integers(0, len(words), 100)],
                           rng.integers(0, p, (400, n)), np.zeros((1, n), dtype=np.int64)])
    want = (((test - b) @ H.T) % p == 0).all(1)
    assert want[:100].all() and not want[100:].all()
    np.testing.assert_array_equal(task.is_correct(torch.as_tensor(test)).numpy(), want)


def test_code_task_on_a_binary_code_against_all_words():
    """A small binary code: the codewords are exactly the words with zero syndrome."""
    G = np.array([[1, 0, 0, 1, 1, 0, 1], [0, 1, 0, 1, 0, 1, 1], [0, 0, 1, 0, 1, 1, 1]])
    task = LinearCodeTask(G, p=2, num_clues=2)
    H = np.concatenate([G[:, 3:].T, np.eye(4, dtype=np.int64)], axis=1)
    words = np.array(list(itertools.product(range(2), repeat=7)), dtype=np.int64)
    kernel = words[((words @ H.T) % 2 == 0).all(1)]
    np.testing.assert_array_equal(task.codewords, kernel)  # both lexicographic
    np.testing.assert_array_equal(task.is_correct(torch.as_tensor(words)).numpy(),
                                  ((words @ H.T) % 2 == 0).all(1))


def test_code_exact_law_and_curve_against_the_dense_law():
    """A small code over F_3: Z and the prompt laws against the dense uniform law."""
    G = np.array([[1, 0, 0, 1, 2, 0, 1], [0, 1, 0, 1, 1, 2, 0], [0, 0, 1, 0, 1, 1, 2]])
    task = LinearCodeTask(G, p=3, num_clues=2)
    dense = _uniform_law_on(task.codewords, 3)
    from mdmtheory import Distribution

    np.testing.assert_allclose(task.information_curve(), information_curve(Distribution(dense)),
                               atol=1e-10)
    for p in task.prompts(5, seed=9).numpy():
        rev = p != task.mask_id
        idx = tuple(slice(None) if not r else int(v) for r, v in zip(rev, p))
        sub = dense[idx]
        np.testing.assert_allclose(task.exact_distribution(p).p, sub / sub.sum(), atol=1e-15)


def test_default_code_curve_and_prompt_law_in_closed_form():
    """The default code is a product of independent (shifted) scaled repetition
    groups, so H(X_T) = (#groups T hits) log p and Z follows from counting; a
    prompt's law is uniform on the words of the coset that keep its clues (all
    3^10 fillings of a 6-clue prompt)."""
    from math import comb

    task = get_task("code")
    G, p = task.generator, task.p
    n = G.shape[1]
    sizes = (G != 0).sum(axis=1)  # one nonzero per column: the groups are the rows
    assert (G != 0).sum(axis=0).tolist() == [1] * n
    e = np.array([sum(1 - comb(n - s, m) / comb(n, m) for s in sizes) for m in range(n + 1)])
    d = np.diff(e) * np.log(p)
    np.testing.assert_allclose(task.information_curve(), d[0] - d, atol=1e-12)
    H = np.concatenate([(-G[:, 6:].T) % p, np.eye(n - 6, dtype=np.int64)], axis=1)
    prompt = LinearCodeTask(G, p, num_clues=6, shift=task.shift).prompts(1, seed=3).numpy()[0]
    free = np.flatnonzero(prompt == task.mask_id)
    fills = np.indices((p,) * free.size).reshape(free.size, -1).T  # every filling
    words = np.repeat(prompt[None], len(fills), axis=0)
    words[:, free] = fills
    ok = (((words - task.shift) @ H.T) % p == 0).all(1)
    want = np.zeros((p,) * free.size)
    want[tuple(fills[ok].T)] = 1.0 / ok.sum()
    np.testing.assert_allclose(task.exact_distribution(prompt).p, want, atol=1e-15)


# ---------------------------------------------------------------------------- markov
def test_markov_exact_law_and_oracle_against_the_dense_chain():
    task = MarkovTask(n=7, num_clues=3)
    dense = markov_chain(7, task.transition).p
    for p in task.prompts(5, seed=4).numpy():
        rev = p != task.mask_id
        idx = tuple(slice(None) if not r else int(v) for r, v in zip(rev, p))
        sub = dense[idx]
        np.testing.assert_allclose(task.exact_distribution(p).p, sub / sub.sum(), atol=1e-13)
    x, c = task.heldout_batch(30, seed=1)
    x, c = x.numpy(), c.numpy()
    probs = task.oracle(x, c)
    from mdmtheory import Distribution

    D = Distribution(dense)
    for b in range(30):
        revealed = {int(i): int(x[b, i]) for i in np.flatnonzero(c[b])}
        for i in np.flatnonzero(~c[b]):
            np.testing.assert_allclose(probs[b, i], D.conditional(int(i), revealed), atol=1e-12)


def test_markov_checker_and_entropy_rate_against_the_dense_chain():
    task = MarkovTask(n=6, num_clues=2)
    dense = markov_chain(6, task.transition).p
    rng = np.random.default_rng(0)
    x = np.concatenate([task.training_batch(100, rng)[0].numpy(), rng.integers(0, 8, (300, 6))])
    want = dense[tuple(x.T)] > 0
    np.testing.assert_array_equal(task.is_correct(torch.as_tensor(x)).numpy(), want)
    np.testing.assert_allclose(np.exp(task.log_likelihood(x)), dense[tuple(x.T)], atol=1e-15)
    # stationary chain: H(X_1..X_n) - H(X_1..X_{n-1}) is the entropy rate
    def H(t):
        t = t[t > 0]
        return -(t * np.log(t)).sum()
    rate = H(dense) - H(dense.sum(axis=-1))
    np.testing.assert_allclose(task.entropy_rate(), rate, rtol=1e-10)


def test_default_markov_has_hard_constraints():
    task = get_task("markov")
    assert ((task.transition > 0).sum(1) == 3).all()
    assert task.length == 32 and task.q == 8


# ---------------------------------------------------------------------------- split / API
@pytest.mark.parametrize("name", ["code", "markov", "sudoku4"])
def test_heldout_prompts_are_disjoint_from_training_prompts(name):
    task = get_task(name)
    P = task.prompts(200, seed=0)
    assert P.dtype == torch.long and P.shape == (200, task.length)
    np.testing.assert_array_equal(task.prompts(200, seed=0), P)  # deterministic
    assert not torch.equal(task.prompts(200, seed=1), P)
    held = {tuple(r) for r in P.numpy()}
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, c = task.training_batch(500, rng)
        train = torch.where(c, x, torch.full_like(x, task.mask_id)).numpy()
        assert not held.intersection(map(tuple, train))
    x, c = task.heldout_batch(200, seed=0)
    assert torch.equal(torch.where(c, x, torch.full_like(x, task.mask_id)), P)
    assert task.is_correct(x, P).all()  # the held-out answers are correct answers


def test_is_correct_rejects_masks_and_clue_changes():
    task = get_task("sudoku4")
    x, c = task.heldout_batch(20, seed=0)
    P = torch.where(c, x, torch.full_like(x, task.mask_id))
    assert not task.is_correct(P).any()  # masks left
    other = torch.as_tensor(all_grids(2))
    # a valid grid that breaks some clue
    y = torch.stack([next(g for g in other if not torch.equal(g[c[b]], x[b][c[b]]))
                     for b in range(20)])
    assert task.is_correct(y).all() and not task.is_correct(y, P).any()


def test_bad_input_raises():
    with pytest.raises(ValueError, match="unknown task"):
        get_task("chess")
    task = get_task("sudoku4")
    with pytest.raises(ValueError, match="tokens"):
        task.is_correct(torch.zeros((3, 15), dtype=torch.long))
    with pytest.raises(TypeError, match="tokens"):
        task.is_correct(np.zeros((3, 16)))
    with pytest.raises(ValueError, match="num"):
        task.prompts(0)
    with pytest.raises(ValueError, match="clues"):
        Sudoku4Task(clues=(5, 3))
    with pytest.raises(ValueError, match="p must be prime"):
        LinearCodeTask(p=4)
    with pytest.raises(ValueError, match="probability zero"):
        task.oracle(np.zeros((1, 16), dtype=np.int64), np.ones((1, 16), dtype=bool))
    with pytest.raises(MemoryError):
        get_task("markov").exact_distribution(torch.full((32,), 8))


def test_kjv_task_validity_check():
    from mdmtheory.dlm.kjv_text import KJVUnavailable

    task = get_task("kjv")
    try:
        task.alphabet
    except KJVUnavailable:
        pytest.skip("KJV text unavailable (run scripts/fetch_kjv.py)")
    x, c = task.heldout_batch(8, seed=0)
    assert c[:, :32].all() and not c[:, 32:].any()
    P = task.prompts(8, seed=0)
    assert (P[:, 32:] == task.mask_id).all()
    assert task.is_correct(x, P).float().mean() >= 0.75  # real text: words are KJV words
    text = "and the LORD spake unto Moses, saying, qzxv the children of Isra"
    y = torch.as_tensor(task.encode(text))[None]
    assert len(text) == 64 and not task.is_correct(y).item()
    assert task.is_correct(torch.as_tensor(task.encode(text.replace("qzxv", "unto")))[None])
