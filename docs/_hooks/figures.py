"""MkDocs hook: publish the committed figures (``figures/fig_*.png`` and ``.pdf``) with the site.

The figures live in ``figures/`` at the repository root (where ``mdmtheory
figures`` writes them), outside ``docs/``.  This hook adds them to the site as
``figures/<name>.png`` so that pages can show them with a relative link such as
``![](figures/fig_riemann.png)`` (from a page in ``docs/``), without keeping a
second copy of each image in the repository.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File


def on_files(files, config):  # noqa: D103 - MkDocs hook API
    root = Path(config.config_file_path).resolve().parent
    for png in sorted([*(root / "figures").glob("fig_*.png"), *(root / "figures").glob("fig_*.pdf")]):
        files.append(File(f"figures/{png.name}", src_dir=str(root), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files
