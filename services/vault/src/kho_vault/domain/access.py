"""Who may see what (issue 4): the owner (a citizen by identity number, an organization by tax code and its
authorized representatives) sees their vault; an official sees a document only while it is attached to a
dossier received by their agency, or shared with their agency by the owner; everyone else gets 404."""

from __future__ import annotations

from kho_platform.auth import Principal

from kho_vault.domain.document import Entry, hidden_from_owner


def acts_as_owner(principal: Principal, owner_id: str) -> bool:
    return owner_id in principal.owner_ids()


def officer_agency(principal: Principal) -> str | None:
    return principal.agency_code if principal.is_officer and principal.agency_code else None


def attached_to_agency(entry: Entry, agency: str) -> bool:
    return any(a.get("agency_code") == agency for a in entry.get("attached_to") or [])


def shared_with_agency(entry: Entry, agency: str) -> bool:
    return bool(entry.get("shared")) and agency in (entry.get("shared_with_agencies") or [])


def officer_may_read(principal: Principal, entry: Entry) -> bool:
    agency = officer_agency(principal)
    return agency is not None and (attached_to_agency(entry, agency) or shared_with_agency(entry, agency))


def may_read(principal: Principal, entry: Entry) -> bool:
    if acts_as_owner(principal, entry["owner_id"]):
        return not hidden_from_owner(entry)
    return officer_may_read(principal, entry)


def agency_received_owner(vault: Entry, agency: str) -> bool:
    """The agency received a dossier of this owner (it may then ask for candidates and add digitized
    components to the owner's vault)."""
    return agency in (vault.get("received_by") or [])
