"""Background threads named for the operating system too, so `top -H`, `ps -L` and /proc show
which process runs the renewal timer and the outbox relay (Python names them only for itself).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path


def name_os_thread(name: str) -> None:
    """Give the calling thread this name (at most 15 characters) where Linux keeps it."""
    comm = Path(f"/proc/self/task/{threading.get_native_id()}/comm")
    with contextlib.suppress(OSError):  # not Linux, or /proc not mounted: only a label is lost
        comm.write_text(name[:15])
