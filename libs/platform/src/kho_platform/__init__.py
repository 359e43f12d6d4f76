"""Plumbing shared by every service: settings, logs, Kafka, the database, the object store, the outbox,
idempotent consumers, authentication, health and metrics."""
