"""A refusal on a page in another language is said by its code and field (webui/messages.py),
never as the rule's English sentence; English pages keep that sentence.

Expectations go through ``translate`` so they hold for any catalog, and are checked against
the catalog's source sentences, so the tests fail if a page fell back to the raw message.
"""

from __future__ import annotations

from jinja2 import Environment

from plansmith.application.kernel.errors import Refusal
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.entrypoints.webui import errors, messages
from plansmith.entrypoints.webui.i18n import translate

RAW = "min_seats is more than max_seats (internal wording)"
LANGUAGES = ("ja", "vi", "tr", "ar")


def test_a_field_is_named_by_its_label_found_from_the_end_of_its_path() -> None:
    assert messages.field_label("plans[2].terms.min_seats") == "Minimum seats"
    assert messages.field_label("terms.base_prices.USD") == "Price"
    assert messages.field_label("seller_address.lines[1]") == "Address"
    assert messages.field_label("terms.mystery") is None
    assert messages.field_label(None) is None


def test_another_language_says_the_code_with_the_fields_label() -> None:
    error = InvalidValue(RAW, field="terms.min_seats")

    for language in LANGUAGES:
        said = messages.explain(error, language)
        sentence = translate(language, messages.FIELD_SENTENCES[ec.INVALID_VALUE])
        assert said == sentence % {"field": translate(language, "Minimum seats")}
        assert RAW not in said and "min_seats" not in said


def test_a_code_with_a_sentence_of_its_own_uses_it_whatever_the_field() -> None:
    error = DomainError(RAW, field="min_seats", code=ec.SEATS_RANGE)

    said = messages.explain(error, "ja")

    assert said == translate("ja", messages.SENTENCES[ec.SEATS_RANGE])


def test_an_unknown_field_or_code_falls_back_to_a_generic_sentence_by_status() -> None:
    unknown_field = InvalidValue(RAW, field="terms.mystery")
    conflict = DomainError(RAW, code=ec.IDEMPOTENCY_KEY_LOST)  # 409, no sentence of its own

    assert messages.explain(unknown_field, "tr") == translate("tr", "This value is not allowed.")
    assert messages.explain(conflict, "tr") == translate(
        "tr", "This cannot be done in the current state."
    )


def test_every_code_a_page_can_show_is_said_without_the_raw_message() -> None:
    for code in ec.REGISTRY.values():
        error = DomainError(RAW, field="name", code=code)
        said = messages.explain(error, "ar")
        assert RAW not in said, code
        assert said.strip(), code


def test_several_wrong_fields_are_each_said_once() -> None:
    error = InvalidInput(
        [
            InvalidValue("name must not be empty", field="name", code=ec.REQUIRED),
            InvalidValue("max_seats is too big", field="max_seats", code=ec.TOO_LARGE),
            InvalidValue("name must not be empty", field="name", code=ec.REQUIRED),
        ]
    )

    said = messages.explain(error, "vi")

    name = translate("vi", messages.FIELD_SENTENCES[ec.REQUIRED]) % {
        "field": translate("vi", "Name")
    }
    seats = translate("vi", messages.FIELD_SENTENCES[ec.TOO_LARGE]) % {
        "field": translate("vi", "Maximum seats")
    }
    assert said == f"{name} {seats}"


def test_english_keeps_the_rules_own_sentence_and_the_screens_wording() -> None:
    error = InvalidValue(RAW, field="min_seats")

    assert messages.explain(error, "en") == RAW
    assert messages.shown(Refusal("Reworded by the screen", error), "en") == (
        "Reworded by the screen"
    )
    assert messages.shown("A page's own sentence", "ja") == "A page's own sentence"


def test_a_template_prints_a_refusal_in_its_pages_language() -> None:
    env = Environment(autoescape=True)
    env.finalize = messages._finalize
    template = env.from_string("<p>{{ error }}</p><p>{{ text }}</p>")
    error = InvalidValue(RAW, field="quantity")

    shown = template.render(ui_language="ja", error=messages.refusal(error), text="<plain>")

    said = translate("ja", messages.FIELD_SENTENCES[ec.INVALID_VALUE]) % {
        "field": translate("ja", "Quantity")
    }
    assert shown == f"<p>{said}</p><p>&lt;plain&gt;</p>"
    assert template.render(ui_language="en", error=error, text="") == f"<p>{RAW}</p><p></p>"


def test_an_error_page_never_shows_a_plain_english_detail_on_a_translated_page() -> None:
    detail = "payload too large for the upload endpoint"

    assert errors.message_for(409, detail, "ja") == translate(
        "ja", "This cannot be done in the current state."
    )
    assert errors.message_for(413, detail, "ar") == translate(
        "ar", "Something went wrong. Please try again."
    )
    assert errors.message_for(409, detail, "en") == detail
    refused = messages.refusal(DomainError(RAW, code=ec.NO_DRAFT))
    no_draft = translate("tr", messages.SENTENCES[ec.NO_DRAFT])
    assert errors.message_for(409, refused, "tr") == no_draft
