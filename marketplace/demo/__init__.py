"""Demo data for a believable Changchun IP market (``flask seed demo``)."""
