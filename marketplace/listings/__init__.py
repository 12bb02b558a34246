"""The market: listings and lots, demand posts, broker mandates, deal statistics."""
