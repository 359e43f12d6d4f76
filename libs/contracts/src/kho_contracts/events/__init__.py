"""Every event of the platform. Importing this package registers them all."""

from kho_contracts.events.feedback import DisputeOverdue, DisputeResolved, ResultDisputed
from kho_contracts.events.notify import NotificationDelivered, NotificationFailed
from kho_contracts.events.signature import SignatureRejected, SignatureVerified
from kho_contracts.events.submission import (
    CertifiedCopyIssued,
    DossierAccepted,
    DossierRejected,
    DossierSubmitted,
    ResultIssued,
    ResultReturned,
    SubmittedComponent,
    SupplementRequested,
)
from kho_contracts.events.vault import (
    DocumentRejected,
    DocumentReplaced,
    DocumentStored,
    DocumentUploaded,
    DocumentUsed,
)

__all__ = [
    "CertifiedCopyIssued",
    "DisputeOverdue",
    "DisputeResolved",
    "DocumentRejected",
    "DocumentReplaced",
    "DocumentStored",
    "DocumentUploaded",
    "DocumentUsed",
    "DossierAccepted",
    "DossierRejected",
    "DossierSubmitted",
    "NotificationDelivered",
    "NotificationFailed",
    "ResultDisputed",
    "ResultIssued",
    "ResultReturned",
    "SignatureRejected",
    "SignatureVerified",
    "SubmittedComponent",
    "SupplementRequested",
]
