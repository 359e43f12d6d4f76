"""Plain rules of disputes: no database, no Kafka, no HTTP."""
