"""In-memory fakes of the ports to other services (vault, signature), for tests of this service alone.
Kafka, the database and S3 are never faked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from kho_submission.adapters.signature_client import SignRequest
from kho_submission.adapters.vault_client import ComponentQuery, Upload, Uploaded
from kho_submission.domain.components import Candidate


@dataclass
class FakeVault:
    documents: dict[str, list[Candidate]] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    candidate_calls: int = 0

    def add(self, owner_id: str, **fields: object) -> Candidate:
        fields.setdefault("document_id", f"doc-{uuid.uuid4().hex[:10]}")
        fields.setdefault("document_type", "issued_result")
        fields.setdefault("store_kind", "agency_issued")
        fields.setdefault("score", 50.0)
        candidate = Candidate.model_validate(fields)
        self.documents.setdefault(owner_id, []).append(candidate)
        return candidate

    async def candidates(
        self, token: str, owner_id: str, on: date, components: list[ComponentQuery]
    ) -> dict[str, list[Candidate]]:
        assert token, "the caller's token must be forwarded"
        self.candidate_calls += 1
        found: dict[str, list[Candidate]] = {}
        for query in components:
            found[query.component_code] = [
                c
                for c in self.documents.get(owner_id, [])
                if (c.category_code and c.category_code in query.category_codes)
                or (c.result_code and c.result_code in query.result_codes)
            ]
        return found

    async def upload(self, token: str, upload: Upload) -> Uploaded:
        assert token and upload.content
        self.uploads.append(upload)
        return Uploaded(document_id=f"up-{uuid.uuid4().hex[:10]}", status="quarantined")

    async def document(self, token: str, document_id: str) -> dict[str, object]:
        return {"document_id": document_id}


@dataclass
class FakeSignature:
    requests: list[SignRequest] = field(default_factory=list)

    async def sign(self, token: str, request: SignRequest) -> bytes:
        assert token
        self.requests.append(request)
        return request.pdf + b"\n% signed by " + request.profile.encode() + b"\n"
