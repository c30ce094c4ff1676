"""Build the `.mo` files Django reads from the committed `.po` files.

Pure Python (polib), so no machine needs GNU gettext; no Django import, so the launcher can call
it before settings exist. `manage.py compiletranslations` runs it for deployments.
"""

from __future__ import annotations

from pathlib import Path


def compile_translations(locale_dir: Path) -> list[Path]:
    """Compile every `*.po` under ``locale_dir`` whose `.mo` is missing or older; return those."""
    import polib

    compiled = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled.append(mo_path)
    return compiled
