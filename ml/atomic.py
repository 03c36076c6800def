"""Replace a directory atomically: write into a hidden sibling, swap it in only when complete.

``with atomic_directory(out_dir) as tmp:`` yields a fresh empty folder ``.NAME.tmp-PID`` next to
``out_dir``. When the block finishes, the previous ``out_dir`` (if any) is moved aside, ``tmp`` is
renamed to ``out_dir`` and the old one is deleted. When the block raises (interrupts included),
``tmp`` is deleted and ``out_dir`` is left exactly as it was, so a failed run never replaces or
half-overwrites the last good one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_directory(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``out_dir`` to fill; on success it becomes ``out_dir``."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        backup = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        if out_dir.exists():
            out_dir.rename(backup)
        tmp.rename(out_dir)
        if backup.exists():
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
