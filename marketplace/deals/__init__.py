"""Deals: negotiation room, contracts and signatures, recordal, settlement, royalties."""
