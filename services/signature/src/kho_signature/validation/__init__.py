"""Validation of PAdES signatures: the engine (a pure function), the report, messages and worker pool."""
