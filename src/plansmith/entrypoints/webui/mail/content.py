"""What a notice says, before it is laid out (``templates/mail/notice.html`` and ``.txt``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from plansmith.application.notices.ports import Attachment


@dataclass
class Content:
    """What a notice says, before it is laid out."""

    subject: str
    greeting: str
    paragraphs: list[str]
    facts: list[tuple[str, str]] = field(default_factory=list)
    button: tuple[str, str] | None = None  # (label, url)
    lines: list[str] = field(default_factory=list)  # a list (what changes)
    attachments: tuple[Attachment, ...] = ()
