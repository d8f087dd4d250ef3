"""Payment gateways: the sandbox built in, and Stripe."""
