"""Writes the JSON Schema of every event and docs/events.md from the code: `python -m kho_contracts.export`.

Both are kept in the repository and a test fails when they drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kho_contracts.base import event_types, schema_of

SCHEMA_DIR = Path("libs/contracts/schemas")
EVENTS_DOC = Path("docs/events.md")


def schema_files() -> dict[str, str]:
    return {
        f"{type_}.json": json.dumps(schema_of(cls), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for type_, cls in sorted(event_types().items())
    }


def events_markdown() -> str:
    lines = [
        "# Events",
        "",
        "Generated from `libs/contracts` by `make contracts`; do not edit by hand. Every event travels as a",
        "CloudEvents 1.0 message in Kafka binary mode (`ce_*` headers, with `ce_correlationid` and",
        "`ce_causationid`); its body is the JSON of the model. The Kafka key is the aggregate id named below, so",
        "the events of one document, dossier or dispute stay in order. Schemas: `libs/contracts/schemas/`.",
        "Consumers ignore fields they do not know; a breaking change takes a new major version (`.v2`).",
        "",
        "| Event | Type | Topic | Key | Producer | Consumers | Meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for type_, cls in sorted(event_types().items(), key=lambda item: (item[1].TOPIC, item[0])):
        consumers = ", ".join(cls.CONSUMERS) or "—"
        lines.append(
            f"| {cls.__name__} | `{type_}` | `{cls.TOPIC}` | `{cls.KEY_FIELD}` | {cls.PRODUCER} | {consumers} "
            f"| {cls.meaning()} |"
        )
    lines += ["", "Dead letters: each consuming service writes what it cannot process to `kho.dlq.<service>`,",
              "with the original key, value and headers and `x-dlq-reason`, `x-dlq-original-topic`,",
              "`x-dlq-original-partition`, `x-dlq-original-offset`.", ""]  # fmt: skip
    return "\n".join(lines)


def main(root: Path = Path()) -> int:
    schema_dir = root / SCHEMA_DIR
    schema_dir.mkdir(parents=True, exist_ok=True)
    wanted = schema_files()
    for stale in set(p.name for p in schema_dir.glob("*.json")) - set(wanted):
        (schema_dir / stale).unlink()
    for name, text in wanted.items():
        (schema_dir / name).write_text(text)
    (root / EVENTS_DOC).parent.mkdir(parents=True, exist_ok=True)
    (root / EVENTS_DOC).write_text(events_markdown())
    print(f"wrote {len(wanted)} schemas and {EVENTS_DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
