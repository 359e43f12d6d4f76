import json
import logging

import structlog
from kho_platform.context import correlated
from kho_platform.logging import configure_logging, mask_text


def test_personal_data_is_masked() -> None:
    text = "CCCD 052090000495, phone 0912345678, mail an.nguyen@example.vn"
    masked = mask_text(text)
    assert "052090000495" not in masked and "052******495" in masked
    assert "0912345678" not in masked
    assert "an.nguyen@" not in masked and "@example.vn" in masked


def test_json_lines_carry_correlation_and_hide_bodies(capsys) -> None:  # type: ignore[no-untyped-def]
    configure_logging("testsvc", "INFO")
    with correlated("corr-42", causation_id="evt-1"):
        structlog.get_logger("t").info("sent", phone="0987654321", body="Nội dung riêng tư")
    logging.getLogger("uvicorn.error").warning("from the standard library")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first = lines[0]
    assert first["correlation_id"] == "corr-42" and first["causation_id"] == "evt-1"
    assert first["service"] == "testsvc"
    assert first["phone"] != "0987654321"
    assert first["body"] == "[hidden]"
    assert lines[1]["event"] == "from the standard library"
    structlog.contextvars.clear_contextvars()
