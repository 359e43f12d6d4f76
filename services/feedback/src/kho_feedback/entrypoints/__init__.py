"""How the world reaches the service: the HTTP API, the Kafka consumers and the scheduler."""
