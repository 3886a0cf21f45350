"""``mdmtheory check``: run the verification table (``python -m proofs_check``).

``proofs_check`` is not installed with the package: it lives at the top of a
checkout of the repository and is run from there (the checkout that an editable
install points to, or the current folder).  Arguments after ``check`` are passed
on, except ``--out DIR``, which becomes ``--counterexample-dir DIR``.  With
``--mutate`` and no ``--out``, counterexamples go to a fresh temporary folder, so
that a self-test never writes into the source tree.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ._common import PROG, CLIError

_CE_OPTION = "--counterexample-dir"


def find_checkout() -> Path | None:
    """The repository folder holding ``proofs_check/``, or None.

    Looked for next to the installed package (an editable install of a clone),
    then in the current folder.
    """
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (root / "proofs_check" / "__main__.py").is_file():
            return root
    return None


def translate_args(args: list[str]) -> tuple[list[str], Path | None]:
    """Map ``--out DIR`` to ``--counterexample-dir DIR``; add a temporary folder for ``--mutate``.

    Returns the argument list for ``proofs_check`` and the temporary folder made (or None).
    """
    out: list[str] = []
    has_dir = False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--out":
            if i + 1 >= len(args):
                raise CLIError("check: --out needs a folder")
            out += [_CE_OPTION, args[i + 1]]
            has_dir = True
            i += 2
            continue
        if a.startswith("--out="):
            out += [_CE_OPTION, a.split("=", 1)[1]]
            has_dir = True
        else:
            if a == _CE_OPTION or a.startswith(_CE_OPTION + "="):
                has_dir = True
            out.append(a)
        i += 1
    tmp = None
    if any(a == "--mutate" or a.startswith("--mutate=") for a in args) and not has_dir:
        tmp = Path(tempfile.mkdtemp(prefix="mdmtheory-check-"))
        out += [_CE_OPTION, str(tmp)]
    return out, tmp


def cmd_check(args) -> int:
    """Run ``python -m proofs_check`` from the checkout; return its exit status."""
    root = find_checkout()
    if root is None:
        raise CLIError("'mdmtheory check' runs the proofs_check folder of a checkout of the "
                       "repository; run it from a clone (or a clone installed with pip install -e .)")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "proofs_check"]
    if any(a in ("-h", "--help") for a in args.check_args):
        r = subprocess.run([*cmd, "--help"], capture_output=True, text=True, env=env)
        text = r.stdout.replace("python -m proofs_check", f"{PROG} check")
        sys.stdout.write(text)
        sys.stdout.write("\nAlso: --out DIR  where counterexamples are written (default for "
                         "--mutate: a new temporary folder)\n")
        return r.returncode
    check_args, tmp = translate_args(list(args.check_args))
    if tmp is not None:
        print(f"{PROG} check: counterexamples of the mutants go to {tmp}", file=sys.stderr)
    return _run_streaming([*cmd, *check_args], env)


#: Seconds during which stderr is held back: a usage error of proofs_check comes
#: within them and is then shown as one line; later output streams through.
HOLD_S = 5.0


def _run_streaming(cmd: list[str], env: dict[str, str]) -> int:
    """Run ``cmd``; stream its stderr, except that a usage error becomes one line."""
    import threading
    import time

    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    held: list[bytes] = []
    state = {"streaming": False}
    lock = threading.Lock()

    def pump() -> None:
        assert proc.stderr is not None
        for chunk in iter(lambda: proc.stderr.read1(4096), b""):
            with lock:
                if state["streaming"]:
                    sys.stderr.buffer.write(chunk)
                    sys.stderr.buffer.flush()
                else:
                    held.append(chunk)

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < HOLD_S:
        time.sleep(0.05)
    with lock:
        if proc.poll() is None:  # still running: a real run, show what it said so far
            state["streaming"] = True
            sys.stderr.buffer.write(b"".join(held))
            sys.stderr.buffer.flush()
            held.clear()
    rc = proc.wait()
    t.join()
    if held:
        text = b"".join(held).decode(errors="replace")
        if rc == 2:  # proofs_check's own usage error: one line, as every CLI error
            lines = [ln for ln in text.splitlines() if ln.strip()]
            msg = lines[-1] if lines else "invalid arguments"
            raise CLIError(f"check: {msg.replace('python -m proofs_check', PROG + ' check')}")
        sys.stderr.write(text)
    return rc


def add_parser(sub, common) -> None:
    """Add the ``check`` subcommand to the subparsers ``sub``."""
    p = sub.add_parser("check", help="run the verification table (proofs_check, from a checkout)",
                       description="Run 'python -m proofs_check' from the checkout: one row per "
                                   "numbered item of the paper. Arguments after 'check' are "
                                   "passed on; --out DIR sets where counterexamples are written.",
                       prefix_chars="\0", add_help=False)
    p.add_argument("check_args", nargs=argparse.REMAINDER,
                   help="arguments for proofs_check (see 'mdmtheory check --help')")
    p.set_defaults(func=cmd_check)
