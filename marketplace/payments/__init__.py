"""Payments: Stripe and bank custody, escrow, refunds, payouts, the double-entry ledger."""
