"""SQL repositories of invoices, credit notes, the ledger, coupons and tax rates."""
