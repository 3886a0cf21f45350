"""``python -m mdmtheory.dlm --config NAME``: train one of the named configs."""

from .train import main

raise SystemExit(main())
