"""A crash between the S3 write and the database write leaves nothing half-stored: the sweeper removes the
object whose write was announced but never recorded, and keeps the ones a vault records."""

from __future__ import annotations

from typing import Any

import pytest
from helpers_vault import add, citizen_id
from kho_vault.documents import object_key
from kho_vault.domain.pdf import sha256_of
from kho_vault.entrypoints.jobs import sweep_orphans
from minio.error import S3Error
from vault_pdfs import unique_pdf

pytestmark = pytest.mark.integration


async def test_the_sweeper_removes_objects_never_recorded_and_keeps_recorded_ones(vault: Any) -> None:
    owner = citizen_id()
    kept = (await add(vault, owner, unique_pdf())).json()
    pdf = unique_pdf()
    sha = sha256_of(pdf)
    # the process dies after writing the object, before writing the vault
    orphan = object_key("quarantine", owner, "crashed-document", 1, sha)
    await vault.deps.objects.put(orphan, pdf, owner_id=owner, document_id="crashed-document", sha256=sha)
    # and an announced write of a recorded document whose settle was lost
    recorded_key = (await vault.deps.store.read(owner))["documents"][0]["versions"][0]["key"]
    await vault.deps.objects.announce(recorded_key, owner_id=owner, document_id=kept["document_id"])

    assert await sweep_orphans(vault.deps) >= 1
    with pytest.raises(S3Error):
        vault.runtime.s3.stat_object(vault.deps.objects.bucket, orphan)
    vault.runtime.s3.stat_object(vault.deps.objects.bucket, recorded_key)  # still there
    remaining = [i async for i in vault.runtime.db["object_intents"].find({}) if i["owner_id"] == owner]
    assert remaining == []
    content = await vault.client.get(f"/v1/documents/{kept['document_id']}/content", headers=vault.idp.citizen(owner))
    assert content.status_code == 200
