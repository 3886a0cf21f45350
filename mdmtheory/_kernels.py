"""Numba kernels: entropies of all 2^n marginals of a dense q^n table.

Algorithm (the "marginalisation sweep")
---------------------------------------
Subsets ``T`` of ``[n]`` are visited by a depth-first search that removes
positions in decreasing order, so each subset is reached exactly once and each
marginal table is computed from its parent by summing out *one* axis (the
smallest position removed: a leading axis with a long contiguous stride).  The work is
``sum_T q^|T| = (q+1)^n`` additions and ``(q+1)^n`` evaluations of ``x log x``
-- the floor for an exact answer, since every marginal entry must be touched.
The (q+1)^n tensor is never materialised: a DFS only keeps the chain of tables
on the current path (``q^(n-1) + q^(n-2) + ...`` cells per worker).

Parallelism and memory: the top ``d`` levels of the DFS tree (``d = 3`` by
default) are walked serially, keeping their tables (``q^(n-1) + ... + q^(n-d)``
cells); below each level-``d`` node the subtrees of its children are packed onto
the threads (longest first) and each thread keeps its own chain (``< 2 q^(n-d-1)``
cells for ``q = 2``).  For ``q = 2`` the workspace is therefore at most
``0.875 + 0.125 T`` times the table with ``T`` threads (``1.125 x`` with 2 threads,
``~1 x`` for the serial sweep), besides the table itself; the serial top levels
are ``sum_{i<=3} C(n, i) 2^-i`` table sizes of work, ~3.5 % of the sweep at
``n = 22``.  The DFS tree does not depend on the number of
threads, so every subset's entropy is bit-for-bit the same for any thread count;
so are the per-size sums ``sums[m]``: each child subtree of a parallel split adds
into its own accumulator, and these are combined in the fixed child order, and the
driver (serial below :data:`SERIAL_BELOW` entries, threaded above) is chosen by the
size alone.  Curves and profiles are therefore bit-identical for 1, 2, ... threads.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._threads import num_threads, start_thread_pool


# ----------------------------------------------------------------------------- fast log
# LLVM cannot vectorise a loop that calls libm's ``log`` (numba has no SVML here),
# and the log dominates the sweep.  ``_log`` is fdlibm's ``__ieee754_log`` with musl's
# integer argument reduction (m in [sqrt(2)/2, sqrt(2)) from two integer adds, a
# shift and a mask; degree-14 minimax in s = (m-1)/(m+1)): < 1 ulp of error,
# branch-free, so the map loop below vectorises (4 doubles per AVX2 instruction,
# with fused multiply-adds where the CPU has them).  Zero maps to a finite value
# (-1023 ln 2 + log(m)) and so contributes exactly 0 to ``x log x``; subnormals
# (< 2.2e-308) get a wrong but finite log, i.e. an absolute error below 1e-305 per
# entry.  Tests compare against ``numpy.log``.


@intrinsic
def _f2i(typingctx, x):
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _i2f(typingctx, x):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_TWO52_PLUS_BIAS = 4503599627370496.0 + 1023.0


#: FMA contraction only (``a * b + c`` may become one fused multiply-add, which
#: rounds once instead of twice): ~20 % faster on this AVX2 CPU, the same
#: < 1 ulp bound against ``numpy.log`` (tests).  No reassociation: the order of
#: the operations is still the code's.  The flag must also be on every caller
#: that inlines :func:`_log`, since Numba inlines it at the IR level.
_FM = {"contract"}


@njit(cache=True, inline="always", error_model="numpy", fastmath=_FM)
def _log(x):
    # musl's reduction: adding (0x3ff00000 - 0x3fe6a09e) << 32 carries into the
    # exponent exactly when the mantissa is >= sqrt(2) (to the high 32 bits)
    b = _f2i(x) + 0x0009_5F62_0000_0000
    # exponent as a double without an int->float conversion (vectorises on AVX2)
    k = _i2f((b >> 52) | 0x4330000000000000) - _TWO52_PLUS_BIAS
    m = _i2f((b & 0x000FFFFFFFFFFFFF) + 0x3FE6_A09E_0000_0000)  # in [sqrt(2)/2, sqrt(2))
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + t2 + t1) + k * _LN2_LO)) - f)


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _log_array(x, out):
    """Elementwise :func:`_log` (exposed for tests against ``numpy.log``)."""
    for i in range(x.size):
        out[i] = _log(x[i])


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _xlogx_map(t, start, stop, out):
    """``out[i] = t[start+i] log t[start+i]``.

    Slices, not offset indices: with ``t[start + i]`` Numba cannot prove the index
    non-negative and emits wrap-around code that turns the vector load into four
    scalar ones (measured 3.3 against 2.1 ns/entry).  Two interleaved streams give
    the CPU two independent dependency chains per iteration (1.7 ns/entry).
    """
    tt = t[start:stop]
    h = tt.size // 2
    ta = tt[:h]
    tb = tt[h:2 * h]
    oa = out[:h]
    ob = out[h:2 * h]
    for i in range(h):
        x = ta[i]
        y = tb[i]
        oa[i] = x * _log(x)
        ob[i] = y * _log(y)
    if tt.size % 2:
        x = tt[tt.size - 1]
        out[tt.size - 1] = x * _log(x)


_CHUNK = 512


@njit(cache=True, error_model="numpy")
def _table_entropy(t, size, scratch):
    """``-sum_{k<size} t[k] log t[k]`` (nats): vectorised map, 4-way partial sums."""
    h = 0.0
    for c0 in range(0, size, _CHUNK):
        c1 = min(size, c0 + _CHUNK)
        _xlogx_map(t, c0, c1, scratch)
        a0 = a1 = a2 = a3 = 0.0
        m = c1 - c0
        m4 = m - m % 4
        for i in range(0, m4, 4):
            a0 += scratch[i]
            a1 += scratch[i + 1]
            a2 += scratch[i + 2]
            a3 += scratch[i + 3]
        for i in range(m4, m):
            a0 += scratch[i]
        h -= (a0 + a1) + (a2 + a3)
    return h


@njit(cache=True, inline="always")
def _ipow(q, e):
    r = 1
    for _ in range(e):
        r *= q
    return r


@njit(cache=True, error_model="numpy")
def _sum_axis_entropy(src, m, j, q, dst, scratch):
    """Sum axis ``j`` out of the ``(q,)*m`` C-ordered table ``src`` into ``dst``.

    Returns the entropy ``-sum dst log dst`` (nats, ``0 log 0 = 0``).
    """
    B = _ipow(q, m - 1 - j)
    A = _ipow(q, j)
    # slices rather than ``src[s0 + b]``: see :func:`_xlogx_map` (wrap-around code)
    if B == 1:
        for a in range(A):
            sa = src[a * q: a * q + q]
            s = 0.0
            for c in range(q):
                s += sa[c]
            dst[a] = s
    elif q == 2:
        for a in range(A):
            d = dst[a * B: a * B + B]
            s0 = src[2 * a * B: 2 * a * B + B]
            s1 = src[2 * a * B + B: 2 * a * B + 2 * B]
            for b in range(B):  # contiguous: vectorises
                d[b] = s0[b] + s1[b]
    else:
        for a in range(A):
            d = dst[a * B: a * B + B]
            sc = src[a * q * B: a * q * B + B]
            for b in range(B):
                d[b] = sc[b]
            for c in range(1, q):
                sc = src[(a * q + c) * B: (a * q + c + 1) * B]
                for b in range(B):
                    d[b] += sc[b]
    return _table_entropy(dst, A * B, scratch)


@njit(cache=True, error_model="numpy")
def _node_child(parent, m, j, pos, mask, q, store, out, acc_row, child, scratch):
    """Make child ``j`` of a node into ``child``, record its entropy, return its mask."""
    h = _sum_axis_entropy(parent, m, j, q, child, scratch)
    cmask = mask & ~(1 << pos[j])
    if store:
        out[cmask] = h
    acc_row[m - 1] += h
    return cmask


@njit(cache=True)
def _dfs_cells(size, lim, q):
    """Cells of the buffer :func:`_dfs` needs below a node of ``size`` cells: its
    chain of tables, ``size/q + size/q^2 + ...`` (``lim`` of them; ``< size/(q-1)``)."""
    tot = 0
    sz = size
    for _ in range(lim):
        sz //= q
        tot += sz
    return tot


@njit(cache=True, error_model="numpy")
def _dfs(cur, size, m0, lim0, pos0, mask0, q, store, out, acc_row, scratch, buf):
    """Visit every subset below the node ``(cur, mask0)``, excluding the node itself.

    The node's table ``cur`` has ``m0`` axes holding positions ``pos0[:m0]``;
    its axes ``0..lim0-1`` may be removed (decreasing-order DFS: a child made by
    removing axis ``j`` may only remove its axes ``0..j-1``).  ``buf`` (at least
    :func:`_dfs_cells` cells) holds the chain of tables, one per depth: it is the
    caller's, so that a sweep allocates its workspace once, not once per node
    (an allocation above glibc's mmap threshold is a fresh mapping, faulted in
    page by page on every call).
    """
    depth_max = lim0
    if depth_max == 0:
        return
    offs = np.zeros(depth_max + 2, np.int64)
    tot = 0
    sz = size
    for d in range(1, depth_max + 1):
        sz //= q
        offs[d] = tot
        tot += sz
    pos = np.empty((depth_max + 1, m0), np.int64)  # original position of each current axis
    for t in range(m0):
        pos[0, t] = pos0[t]
    jn = np.zeros(depth_max + 1, np.int64)    # next axis to remove at each depth
    lims = np.empty(depth_max + 1, np.int64)  # axes < lim may be removed
    masks = np.empty(depth_max + 1, np.int64)
    sizes = np.empty(depth_max + 1, np.int64)
    masks[0] = mask0
    sizes[0] = size
    lims[0] = lim0
    depth = 0
    while depth >= 0:
        j = jn[depth]
        if j >= lims[depth]:
            depth -= 1
            continue
        jn[depth] = j + 1
        m = m0 - depth
        csize = sizes[depth] // q
        if depth == 0:
            src = cur
        else:
            src = buf[offs[depth]: offs[depth] + sizes[depth]]
        dst = buf[offs[depth + 1]: offs[depth + 1] + csize]
        cmask = _node_child(src, m, j, pos[depth], masks[depth], q, store, out, acc_row, dst,
                            scratch)
        if j > 0:  # the child may still remove its axes 0..j-1
            d1 = depth + 1
            for t in range(j):
                pos[d1, t] = pos[depth, t]
            for t in range(j + 1, m):
                pos[d1, t - 1] = pos[depth, t]
            masks[d1] = cmask
            sizes[d1] = csize
            lims[d1] = j
            jn[d1] = 0
            depth = d1


@njit(cache=True, error_model="numpy")
def _sweep_serial(p, n, q, store, out, acc_row):
    """The whole sweep on one thread (root included)."""
    scratch = np.empty(_CHUNK)
    h = _table_entropy(p, p.size, scratch)
    full = (1 << n) - 1
    if store:
        out[full] = h
    acc_row[n] += h
    buf = np.empty(max(_dfs_cells(p.size, n, q), 1))
    _dfs(p, p.size, n, n, np.arange(n), full, q, store, out, acc_row, scratch, buf)


@njit(cache=True, parallel=True, error_model="numpy")
def _children_parallel(parent, size, m, pos, mask, q, bin_js, bin_counts, store, out, units,
                       work):
    """Children of one node (and their subtrees), packed onto threads by ``bin_js``.

    Child ``j``'s per-size entropy sums go to their own row ``units[j]`` (not to a
    per-thread row), so the caller can add them in the fixed order ``j = 0, 1, ...``:
    the result does not depend on how the children were packed onto threads.
    ``work[b]`` is bin ``b``'s workspace: the child's table, then its DFS chain.
    """
    nb = bin_counts.size
    csize = size // q
    for b in prange(nb):
        scratch = np.empty(_CHUNK)
        child = work[b, :csize]
        buf = work[b, csize:]
        cpos = np.empty(max(m - 1, 1), np.int64)
        for t in range(bin_counts[b]):
            j = bin_js[b, t]
            cmask = _node_child(parent, m, j, pos, mask, q, store, out, units[j], child, scratch)
            for u in range(j):
                cpos[u] = pos[u]
            for u in range(j + 1, m):
                cpos[u - 1] = pos[u]
            _dfs(child, csize, m - 1, j, cpos, cmask, q, store, out, units[j], scratch, buf)


def _pack(costs: np.ndarray, nbins: int) -> tuple[np.ndarray, np.ndarray]:
    """Longest-processing-time-first packing of items ``0..len(costs)-1`` into bins."""
    order = sorted(range(costs.size), key=lambda t: (-costs[t], t))
    nb = max(1, min(nbins, len(order)))
    load = np.zeros(nb)
    bins: list[list[int]] = [[] for _ in range(nb)]
    for t in order:
        b = int(np.argmin(load))
        bins[b].append(int(t))
        load[b] += costs[t]
    width = max(1, max(len(x) for x in bins))
    bin_js = np.zeros((nb, width), np.int64)
    bin_counts = np.zeros(nb, np.int64)
    for b, lst in enumerate(bins):
        bin_js[b, : len(lst)] = lst
        bin_counts[b] = len(lst)
    return bin_js, bin_counts


def subtree_entries(m: int, lim: int, q: int) -> float:
    """Marginal entries below a node with ``m`` axes of which ``lim`` are removable.

    Every subset of the removable axes is visited once: ``q^(m-lim) (q+1)^lim``
    entries, the node itself included.
    """
    return float(q) ** (m - lim) * float(q + 1) ** lim


#: Below this many marginal entries the whole sweep runs serially: launching the
#: thread pool costs more than it saves (and pays a fixed ~ms on a busy machine).
SERIAL_BELOW = 2e7
#: Inside a threaded sweep, a node whose subtree has fewer entries than this
#: (~ms of work) is swept by one call on one thread instead of a thread launch.
NODE_SERIAL_BELOW = 5e5


def sweep_entropies(p: np.ndarray, n: int, q: int, *, store: bool,
                    nthreads: int | None = None, progress: bool | None = False,
                    serial_levels: int = 3, serial_below: float | None = None
                    ) -> tuple[np.ndarray | None, np.ndarray]:
    """Run the sweep on a flat C-ordered float64 table.

    Parameters
    ----------
    p : ndarray
        The table (any shape with ``q**n`` entries, C order).
    store : bool
        Keep every subset's entropy (a ``2^n`` vector) or only the per-size sums.
    nthreads : int, optional
        Worker threads (default: Numba's setting).  Sweeps below
        :data:`SERIAL_BELOW` entries always run on one thread.
    progress : bool or None
        Show a tqdm bar (in marginal entries).  ``None``: only for sweeps of
        more than ``2e9`` entries, and only on a terminal.
    serial_levels : int
        DFS levels walked serially before the work is split over threads
        (more levels: less memory per thread, more thread launches).
    serial_below : float, optional
        Subtrees of fewer marginal entries run on one thread (default
        :data:`SERIAL_BELOW`; ``0`` forces the threaded driver, for tests).

    Returns
    -------
    H : ndarray or None
        ``H[mask]``, the entropy (nats) of the marginal on the positions whose
        bits are set in ``mask``; ``None`` unless ``store``.
    sums : ndarray, shape (n+1,)
        ``sums[m]``, the sum of ``H`` over all subsets of size ``m``.
    """
    if nthreads is None:
        nthreads = num_threads()
    flat = np.ascontiguousarray(p, dtype=np.float64).reshape(-1)
    total = float(q + 1) ** n
    small = SERIAL_BELOW if serial_below is None else float(serial_below)
    node_small = NODE_SERIAL_BELOW if serial_below is None else float(serial_below)
    out = np.zeros((1 << n) if store else 1)
    # The choice of driver depends on the size only, never on ``nthreads``: with the
    # per-child accumulators of ``_children_parallel``, the threaded driver then gives
    # bit-identical results for every thread count (1 included).
    if total < small or n < 2:
        acc = np.zeros((1, n + 1))
        _sweep_serial(flat, n, q, store, out, acc[0])
        return (out if store else None), acc.sum(axis=0)

    start_thread_pool()
    show = (total > 2e9) if progress is None else bool(progress)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="entries", unit_scale=True, desc=f"sweep q={q} n={n}",
                   disable=None if progress is None else False)
    acc = np.zeros((1, n + 1))
    scratch = np.empty(_CHUNK)
    depth_par = max(0, min(int(serial_levels), n - 1))
    # one workspace for the whole sweep (per-node allocations above glibc's mmap
    # threshold are fresh mappings, faulted in page by page: +30 % CPU at n = 20
    # with MALLOC_MMAP_THRESHOLD_=131072); grown only if a later node needs more
    work = [np.empty((0, 0))]
    # the tables of the serial top levels, one per depth (reused by every node there)
    chain = [np.empty(flat.size // q ** (d + 1)) for d in range(depth_par)]

    def workspace(rows, cells):
        w = work[0]
        if w.shape[0] < rows or w.shape[1] < cells:
            w = work[0] = np.empty((max(rows, w.shape[0]), max(cells, w.shape[1], 1)))
        return w

    def visit(table, m, lim, pos, mask, depth):
        # the node itself has been recorded by its parent (or below, for the root)
        if lim == 0:
            return
        if depth == depth_par or subtree_entries(m, lim, q) < node_small:
            costs = np.array([subtree_entries(m - 1, j, q) for j in range(lim)])
            if costs.sum() < node_small:  # small subtree: one thread, one call
                buf = workspace(1, _dfs_cells(table.size, lim, q))[0]
                _dfs(table, table.size, m, lim, pos, mask, q, store, out, acc[0], scratch, buf)
            else:
                bin_js, bin_counts = _pack(costs, max(1, nthreads))
                units = np.zeros((lim, n + 1))
                csize = table.size // q
                w = workspace(bin_counts.size, csize + _dfs_cells(csize, lim - 1, q))
                _children_parallel(table, table.size, m, pos, mask, q, bin_js, bin_counts,
                                   store, out, units, w)
                for j in range(lim):  # fixed order: independent of the packing
                    acc[0] += units[j]
            if bar is not None:
                bar.update(subtree_entries(m, lim, q) - table.size)
            return
        child = chain[depth]
        for j in range(lim):
            cmask = _node_child(table, m, j, pos, mask, q, store, out, acc[0], child, scratch)
            if bar is not None:
                bar.update(child.size)
            cpos = np.delete(pos, j)
            visit(child, m - 1, j, cpos, cmask, depth + 1)

    try:
        full = (1 << n) - 1
        h = _table_entropy(flat, flat.size, scratch)
        if store:
            out[full] = h
        acc[0, n] += h
        if bar is not None:
            bar.update(flat.size)
        visit(flat, n, n, np.arange(n, dtype=np.int64), full, 0)
    finally:
        if bar is not None:
            bar.close()
    return (out if store else None), acc.sum(axis=0)
