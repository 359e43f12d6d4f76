"""Kafka topics of the platform. One topic per aggregate kind; the key is the aggregate id."""

VAULT_DOCUMENTS = "kho.vault.documents"
SIGNATURE_VERDICTS = "kho.signature.verdicts"
SUBMISSION_DOSSIERS = "kho.submission.dossiers"
SUBMISSION_ISSUANCE = "kho.submission.issuance"
FEEDBACK_DISPUTES = "kho.feedback.disputes"
NOTIFY_DELIVERIES = "kho.notify.deliveries"


def dead_letter_topic(service: str) -> str:
    """Where a service's consumers put the messages they could not process, with the reason."""
    return f"kho.dlq.{service}"


def with_prefix(topic: str, prefix: str) -> str:
    """Topics can be namespaced (one Kafka cluster shared by several environments, or isolated test runs)."""
    return f"{prefix}{topic}" if prefix else topic
