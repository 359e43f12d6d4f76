"""Writes docs/asyncapi/<service>.json for every service from its ServiceDefinition (`make contracts`)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from kho_platform.asyncapi import asyncapi_document
from kho_platform.service import ServiceDefinition

SERVICES = ("vault", "signature", "submission", "feedback", "notify")
OUT = Path("docs/asyncapi")


def service_definition(name: str) -> ServiceDefinition:
    """The definition a service runs with, as its app factory builds it with default settings."""
    definition: ServiceDefinition = importlib.import_module(f"kho_{name}.app").create_app().state.definition
    return definition


def documents() -> dict[str, str]:
    found = {}
    for name in SERVICES:
        definition = service_definition(name)
        found[f"{name}.json"] = json.dumps(asyncapi_document(definition), indent=2, ensure_ascii=False) + "\n"
    return found


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in documents().items():
        (OUT / name).write_text(text)
    print(f"wrote {len(SERVICES)} AsyncAPI documents to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
