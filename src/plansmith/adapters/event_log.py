"""A subscriber that appends each event, as one JSON line, to a file (PLANSMITH_EVENT_LOG).

For operators who feed events to a log pipeline, an audit store or a script (``tail -F``).
Delivery is at least once: after a relay died between writing a line and recording it, the
line is written again; readers keep the first line of each ``id``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from plansmith.application.events.ports import PublishedEvent


def event_json(event: PublishedEvent) -> dict[str, object]:
    """The event as the API shows it."""
    return {
        "id": event.id,
        "object": "event",
        "type": event.type,
        "created": event.created_at.isoformat(),
        "organization_id": event.organization_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.event.to_data(),
    }


class JsonLinesLog:
    name = "json_lines_log"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def handle(self, event: PublishedEvent) -> None:
        line = json.dumps(event_json(event), sort_keys=True, separators=(",", ":")) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())  # written before the delivery is recorded
