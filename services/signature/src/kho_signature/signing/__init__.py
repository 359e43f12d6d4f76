"""Signing certified copies and issued results: PAdES, certifying, timestamped, with validation data."""
