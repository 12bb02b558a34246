"""Valuations in the platform: indicative values, appraisal orders, the workbench, reports."""
