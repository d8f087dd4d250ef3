"""Payment gateways: the built-in sandbox (its state in the application database) and Stripe
(``stripe_gateway``, imported only where it is used)."""

from plansmith.adapters.payments.sandbox_cards import READY_TOKENS, TEST_CARDS
from plansmith.adapters.payments.sandbox_gateway import SandboxGateway

__all__ = ["READY_TOKENS", "TEST_CARDS", "SandboxGateway"]
