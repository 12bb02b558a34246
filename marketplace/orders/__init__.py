"""Service orders: one lifecycle for appraisals and every other agency service."""
