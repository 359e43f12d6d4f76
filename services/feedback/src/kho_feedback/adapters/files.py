"""Corrected files uploaded by the agencies, kept in the feedback service's bucket. The vault reads them from
there (ObjectRef in DisputeResolved) and makes them the document's new version."""

from __future__ import annotations

import asyncio
import hashlib
import io

from kho_contracts.common import ObjectRef
from minio import Minio

CORRECTIONS_BUCKET = "feedback-corrections"


class CorrectedFiles:
    def __init__(self, s3: Minio, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    async def put(self, dispute_id: str, data: bytes) -> ObjectRef:
        """Stores the file under a key derived from the dispute and the content (the same file twice is one
        object)."""
        sha256 = hashlib.sha256(data).hexdigest()
        key = f"disputes/{dispute_id}/corrected-{sha256}.pdf"
        await asyncio.to_thread(
            self._s3.put_object,
            self._bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type="application/pdf",
            metadata={"sha256": sha256, "dispute": dispute_id},
        )
        return ObjectRef(bucket=self._bucket, key=key, sha256=sha256, size=len(data))

    async def read(self, ref: ObjectRef) -> bytes:
        def get() -> bytes:
            response = self._s3.get_object(ref.bucket, ref.key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(get)

    async def remove(self, ref: ObjectRef) -> None:
        await asyncio.to_thread(self._s3.remove_object, ref.bucket, ref.key)
