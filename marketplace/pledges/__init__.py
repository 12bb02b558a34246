"""Pledge financing: applications, bank reviews and policies, pledges, monitoring, risk sharing."""
