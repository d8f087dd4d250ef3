"""A worker sets its garbage collector for billing batches: start-up's objects frozen out of
the collector's way, young objects collected every 10,000 (a fifth of a worker's time went
to the default settings). Checked in a process of its own: the setting is process-wide."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc
from plansmith.entrypoints.worker import collect_for_batches
collect_for_batches()
print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)
"""


def test_a_worker_freezes_its_start_up_and_collects_less_often() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )

    assert done.stdout.split() == ["10000", "True"]
