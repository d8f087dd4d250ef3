"""Payment gateways: the built-in sandbox (its state in the application database)."""

from plansmith.adapters.payments.sandbox_gateway import READY_TOKENS, TEST_CARDS, SandboxGateway

__all__ = ["READY_TOKENS", "TEST_CARDS", "SandboxGateway"]
