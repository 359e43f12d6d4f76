"""The JSON Schemas, docs/events.md and the AsyncAPI documents kept in the repository are what the code
generates (`make contracts` regenerates them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kho_contracts.export import EVENTS_DOC, SCHEMA_DIR, events_markdown, schema_files

ROOT = Path(__file__).resolve().parents[2]


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate_asyncapi", ROOT / "scripts/generate_asyncapi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_json_schemas_match_the_code() -> None:
    wanted = schema_files()
    kept = {p.name: p.read_text() for p in (ROOT / SCHEMA_DIR).glob("*.json")}
    assert set(kept) == set(wanted), "run `make contracts`"
    for name, text in wanted.items():
        assert kept[name] == text, f"{name} drifted from the code: run `make contracts`"


def test_events_doc_matches_the_code() -> None:
    assert (ROOT / EVENTS_DOC).read_text() == events_markdown(), "run `make contracts`"


def test_asyncapi_documents_match_the_code() -> None:
    generator = load_generator()
    for name, text in generator.documents().items():
        path = ROOT / generator.OUT / name
        assert path.exists() and path.read_text() == text, f"{path} drifted from the code: run `make contracts`"


def test_asyncapi_operations_agree_with_the_contracts() -> None:
    """What a service declares it produces and consumes is what the contracts say of each event."""
    generator = load_generator()
    for service in generator.SERVICES:
        definition = generator.service_definition(service)
        for cls in definition.produces:
            assert service == cls.PRODUCER, f"{service} produces {cls.__name__} but the contract says {cls.PRODUCER}"
        for subscription in definition.subscriptions:
            for cls in subscription.event_types:
                assert service in cls.CONSUMERS, f"{service} consumes {cls.__name__}; add it to CONSUMERS"
