"""Test-suite package marker.

``tests/`` is a package so that shared helpers import as ``tests.<module>``
(e.g. ``from tests.strategies import distributions``) under pytest's default
``prepend`` import mode: pytest puts the first directory *above* the package --
the repository root -- on ``sys.path``, which works for both ``pytest`` and
``python -m pytest`` started from the repository root.
"""
