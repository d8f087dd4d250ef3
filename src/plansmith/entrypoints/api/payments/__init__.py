"""The payments API: payment methods, payments, top-ups, refunds, the balance, dunning."""
