"""Payment use cases: payment methods, collecting invoices, paying now, top-ups, refunds, the
balance, dunning and the payment history."""
