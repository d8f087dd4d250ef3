"""The batch route writes its answers as JSON by hand: byte for byte what BatchOut gives."""

from __future__ import annotations

import json
from datetime import date

from plansmith.application.usage.ingest import ACCEPTED, REJECTED, Answer
from plansmith.entrypoints.api.usage.schemas import BatchOut, EventAnswerOut, batch_json

ANSWERS = [
    Answer("e1", ACCEPTED, account_id="acc_1", local_date=date(2026, 2, 1)),
    Answer("e2", REJECTED, "duplicate", "an event 'e2' was accepted already", "id", "acc_1"),
    Answer(None, REJECTED, "invalid_value", "the event is not an object", None),
    Answer('é"\n\t\\/ü漢', REJECTED, "period_closed", "fermé «ü» \u2028 \x7f\x01", "timestamp"),
    Answer("e5", ACCEPTED, account_id="acc_2", local_date=date(2025, 12, 31)),
]


def _models(answers: list[Answer]) -> bytes:
    data = [EventAnswerOut.of(a, n) for n, a in enumerate(answers)]
    accepted = sum(1 for a in answers if a.status == ACCEPTED)
    out = BatchOut(data=data, accepted=accepted, rejected=len(answers) - accepted)
    return out.model_dump_json().encode()


def test_usage_batch_answer_json_is_the_models_json() -> None:
    assert batch_json(ANSWERS) == _models(ANSWERS)


def test_usage_batch_answer_json_names_each_refused_event_by_its_place() -> None:
    body = json.loads(batch_json(ANSWERS))
    assert (body["accepted"], body["rejected"]) == (2, 3)
    assert [a["field"] for a in body["data"]] == [
        None,
        "events[1].id",
        "events[2]",
        "events[3].timestamp",
        None,
    ]
    assert body["data"][0]["local_date"] == "2026-02-01"
    BatchOut.model_validate(body)


def test_usage_batch_answer_json_of_no_events() -> None:
    assert batch_json([]) == _models([])
