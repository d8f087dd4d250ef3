"""The sandbox gateway's documented test cards: what each number (or ready-made token) does
when charged, and the words it answers with. docs/payments-sandbox.md lists them; a test
checks that the two agree."""

from __future__ import annotations

from dataclasses import dataclass

# What a card does when charged.
SUCCEED = "succeed"
INSUFFICIENT_FUNDS = "insufficient_funds"
EXPIRED_CARD = "expired_card"
DO_NOT_HONOR = "do_not_honor"
TIMEOUT_SUCCEEDED = "timeout_succeeded"  # answers unknown; it really captured
TIMEOUT_FAILED = "timeout_failed"  # answers unknown; it really failed
DECLINES_THEN_SUCCEEDS = "declines_then_succeeds"  # declines_left charges fail first

DECLINES = {
    INSUFFICIENT_FUNDS: "Your card has insufficient funds.",
    EXPIRED_CARD: "Your card has expired.",
    DO_NOT_HONOR: "Your card was declined by its bank.",
}
PROCESSING_ERROR = "processing_error"  # what a timeout that really failed failed with
PROCESSING_MESSAGE = "An error occurred while processing your card; try again later."
TIMEOUT_MESSAGE = (
    "The sandbox gateway did not answer in time (a test card); ask again with the same "
    "idempotency key to learn what happened."
)
REMOVED_MESSAGE = "This card was removed; choose another payment method."
YEARS_VALID = 5  # a ready-made token's card expires in December of the year five years on


@dataclass(frozen=True)
class TestCard:
    """A documented card: its number picks its behaviour."""

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    behavior: str
    declines: int = 0  # DECLINES_THEN_SUCCEEDS: how many charges fail first


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "visa", SUCCEED),
    TestCard("4000056655665556", "visa", SUCCEED),
    TestCard("5555555555554444", "mastercard", SUCCEED),
    TestCard("2223003122003222", "mastercard", SUCCEED),
    TestCard("378282246310005", "amex", SUCCEED),
    TestCard("3530111333300000", "jcb", SUCCEED),
    TestCard("6011111111111117", "discover", SUCCEED),
    TestCard("3056930009020004", "diners", SUCCEED),
    TestCard("36227206271667", "diners", SUCCEED),
    TestCard("6200000000000005", "unionpay", SUCCEED),
    TestCard("4000000000009995", "visa", INSUFFICIENT_FUNDS),
    TestCard("4000000000000069", "visa", EXPIRED_CARD),
    TestCard("4000000000000002", "visa", DO_NOT_HONOR),
    TestCard("4000000000001018", "visa", TIMEOUT_SUCCEEDED),
    TestCard("4000000000001026", "visa", TIMEOUT_FAILED),
    TestCard("4000000000002016", "visa", DECLINES_THEN_SUCCEEDS, 1),
    TestCard("4000000000002024", "visa", DECLINES_THEN_SUCCEEDS, 2),
    TestCard("4000000000002032", "visa", DECLINES_THEN_SUCCEEDS, 3),
)
BY_NUMBER = {card.number: card for card in TEST_CARDS}

# Ready-made tokens for API users who type no card: each stands for one test card. Saving
# one makes a card of its own (so a card's declines are counted per saved card).
READY_TOKENS: dict[str, TestCard] = {
    "tok_sandbox_success": BY_NUMBER["4242424242424242"],
    "tok_sandbox_success_mastercard": BY_NUMBER["5555555555554444"],
    "tok_sandbox_success_amex": BY_NUMBER["378282246310005"],
    "tok_sandbox_success_jcb": BY_NUMBER["3530111333300000"],
    "tok_sandbox_insufficient_funds": BY_NUMBER["4000000000009995"],
    "tok_sandbox_expired_card": BY_NUMBER["4000000000000069"],
    "tok_sandbox_do_not_honor": BY_NUMBER["4000000000000002"],
    "tok_sandbox_timeout_succeeded": BY_NUMBER["4000000000001018"],
    "tok_sandbox_timeout_failed": BY_NUMBER["4000000000001026"],
    "tok_sandbox_declines_1": BY_NUMBER["4000000000002016"],
    "tok_sandbox_declines_2": BY_NUMBER["4000000000002024"],
    "tok_sandbox_declines_3": BY_NUMBER["4000000000002032"],
}
