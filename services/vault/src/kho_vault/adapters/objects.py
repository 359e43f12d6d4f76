"""The vault's files in the object store (S3). Objects are never overwritten: every version has its own key
(`quarantine/…` while waiting for the signature verdict, `documents/…` once stored).

A crash between writing an object and recording it in the database must not leave it behind: each write is
announced first in the small `object_intents` collection, and settled once the vault records it; the sweeper
removes the objects of intents that were never settled."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from kho_platform.mongo import Document
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error
from pymongo.asynchronous.database import AsyncDatabase

OBJECT_INTENTS = "object_intents"


class ObjectMissing(Exception):
    pass


class ObjectStore:
    def __init__(self, s3: Minio, bucket: str, db: AsyncDatabase[Document]) -> None:
        self._s3 = s3
        self.bucket = bucket
        self._intents = db[OBJECT_INTENTS]

    async def announce(self, key: str, *, owner_id: str, document_id: str) -> None:
        await self._intents.update_one(
            {"_id": key},
            {"$set": {"owner_id": owner_id, "document_id": document_id, "at": datetime.now(UTC)}},
            upsert=True,
        )

    async def settle(self, *keys: str) -> None:
        for key in keys:
            await self._intents.delete_one({"_id": key})

    async def put(self, key: str, data: bytes, *, owner_id: str, document_id: str, sha256: str) -> None:
        await self.announce(key, owner_id=owner_id, document_id=document_id)
        await asyncio.to_thread(
            self._s3.put_object,
            self.bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type="application/pdf",
            metadata={"x-amz-meta-sha256": sha256},
        )

    async def copy_within(self, source_key: str, key: str, *, owner_id: str, document_id: str) -> None:
        await self.announce(key, owner_id=owner_id, document_id=document_id)
        await asyncio.to_thread(self._s3.copy_object, self.bucket, key, CopySource(self.bucket, source_key))

    async def get(self, key: str, bucket: str | None = None) -> bytes:
        def read() -> bytes:
            response: Any = None
            try:
                response = self._s3.get_object(bucket or self.bucket, key)
                data: bytes = response.read()
                return data
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchBucket"):
                    raise ObjectMissing(f"{bucket or self.bucket}/{key}") from exc
                raise
            finally:
                if response is not None:
                    response.close()
                    response.release_conn()

        return await asyncio.to_thread(read)

    async def remove(self, key: str) -> None:
        await asyncio.to_thread(self._s3.remove_object, self.bucket, key)

    def presigned_url(self, key: str, seconds: int, filename: str) -> str:
        url: str = self._s3.presigned_get_object(
            self.bucket,
            key,
            expires=timedelta(seconds=seconds),
            response_headers={
                "response-content-type": "application/pdf",
                "response-content-disposition": f'attachment; filename="{filename}"',
            },
        )
        return url

    async def stale_intents(self, older_than: timedelta, limit: int = 500) -> list[Document]:
        cutoff = datetime.now(UTC) - older_than
        return [i async for i in self._intents.find({}, limit=limit) if i["at"] <= cutoff]
