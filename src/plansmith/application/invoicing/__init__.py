"""Invoice use cases: draft, finalize, void, pay, credit notes; taxes and coupons."""
