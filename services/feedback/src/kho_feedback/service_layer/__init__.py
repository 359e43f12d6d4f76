"""What the service does, one function per command; entry points (HTTP, Kafka, the scheduler) call these."""
