"""Background jobs of the vault: the outbox relay, and the sweeper that removes objects never recorded in
the database (a crash between the S3 write and the database write) and purges deleted documents whose
restore period is over."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from kho_platform.logging import get_logger
from kho_platform.service import Runtime

from kho_vault.adapters.relay import VaultRelay
from kho_vault.domain.document import DELETED

if TYPE_CHECKING:
    from kho_vault.app import VaultDeps

log = get_logger(__name__)


async def run_relay(runtime: Runtime, deps: VaultDeps) -> None:
    relay = VaultRelay(deps.store, runtime.publish, runtime.settings.outbox_poll_seconds)
    await relay.run()


def referenced_keys(vault: dict[str, object] | None, document_id: str) -> set[str]:
    keys: set[str] = set()
    for entry in (vault or {}).get("documents") or []:  # type: ignore[attr-defined]
        if entry["id"] != document_id or entry.get("purged"):
            continue
        for v in entry.get("versions") or []:
            keys.add(v["key"])
            if v.get("stage") == "quarantine" or v.get("quarantine_key"):
                keys.add(v.get("quarantine_key") or v["key"])
    return keys


async def sweep_orphans(deps: VaultDeps) -> int:
    """Removes the objects whose write was announced but never recorded in a vault; returns how many."""
    removed = 0
    grace = timedelta(seconds=deps.settings.vault_orphan_grace_seconds)
    for intent in await deps.objects.stale_intents(grace):
        key = intent["_id"]
        vault = await deps.store.read(intent["owner_id"])
        keys = referenced_keys(vault, intent["document_id"])
        if key not in keys:
            try:
                await deps.objects.remove(key)
            except Exception as exc:
                log.warning("orphan object not removed", key=key, error=str(exc))
                continue
            removed += 1
            log.info("orphan object removed", key=key)
        await deps.objects.settle(key)
    return removed


async def purge_expired(deps: VaultDeps) -> int:
    """Deleted documents past their restore period lose their files for good (the record stays, marked
    purged, for the history and the access log)."""
    purged = 0
    for item in await deps.purges.due():
        keys: list[str] = []
        async with deps.store.change(item["owner_id"]) as vault:
            entry = vault.find(item["_id"])
            if entry is not None and entry["status"] == DELETED and not entry.get("purged"):
                keys = [v["key"] for v in entry.get("versions") or []]
                entry["purged"] = True
                vault.mark_changed()
        for key in keys:
            try:
                await deps.objects.remove(key)
            except Exception as exc:
                log.warning("purged object not removed", key=key, error=str(exc))
        await deps.purges.cancel(item["_id"])
        purged += 1 if keys else 0
    return purged


async def run_sweeper(runtime: Runtime, deps: VaultDeps) -> None:
    while True:
        try:
            await sweep_orphans(deps)
            await purge_expired(deps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("vault sweeper failed, will retry", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(deps.settings.vault_sweep_seconds)
