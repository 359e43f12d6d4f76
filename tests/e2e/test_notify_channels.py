"""The notify service as its own process over the real Kafka and FerretDB, with the provider stand-ins
(Zalo ZNS and brandname SMS shapes, a real local HTTP server) and a real SMTP server (aiosmtpd):
every event reaches the right people on the right channels, once; retries, fallback and dead letters."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller
from kho_contracts import Event, KafkaRecord
from kho_contracts.common import StoreKind
from kho_notify.testing import events as ev
from kho_notify.testing.providers import ProviderServer, all_zalo_templates
from kho_platform.processes import ServiceProcess, free_port
from kho_platform.testing import TestIdentityProvider, wait_for

pytestmark = pytest.mark.e2e

AGENCY = "H08.77"
TEMPLATES = all_zalo_templates()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def text_of(mail: Any) -> tuple[str, str]:
    return str(mail["Subject"]), str(mail.get_content())


async def _produce(records: list[KafkaRecord]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9092", enable_idempotence=True)
    await producer.start()
    try:
        for r in records:
            await producer.send_and_wait(r.topic, r.value, key=r.key, headers=r.headers)
    finally:
        await producer.stop()


async def _read(topic: str, count: int, timeout: float = 20.0) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers="127.0.0.1:9092", auto_offset_reset="earliest", group_id=f"r-{uuid.uuid4().hex}"
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            while len(found) < count:
                for batch in (await consumer.getmany(timeout_ms=300)).values():
                    found.extend(batch)
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return found


class Rig:
    def __init__(self, notify: ServiceProcess, providers: ProviderServer, mailbox: Mailbox, prefix: str) -> None:
        self.notify = notify
        self.providers = providers
        self.mailbox = mailbox
        self.prefix = prefix

    def send(self, *events: Event, event_id: str | None = None) -> list[KafkaRecord]:
        records = [ev.record(e, self.prefix, event_id=event_id) for e in events]
        asyncio.run(_produce(records))
        return records

    def calls(self, channel: str) -> list[dict[str, Any]]:
        return [r for r in self.providers.received() if r["channel"] == channel]

    def deliveries(self, count: int) -> list[dict[str, Any]]:
        records = asyncio.run(_read(f"{self.prefix}kho.notify.deliveries", count))
        return [{"type": dict(r.headers)["ce_type"].decode(), **json.loads(r.value)} for r in records]


@pytest.fixture(scope="module")
def rig(
    start_service: Callable[..., ServiceProcess],
    identity_provider: TestIdentityProvider,
    topic_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Rig]:
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    providers = ProviderServer(free_port(), Path(tmp_path_factory.mktemp("providers")) / "providers.log").start()
    prefix = f"{topic_prefix}n{uuid.uuid4().hex[:6]}."  # our own topics: no other notify instance reads them
    notify = start_service(
        "notify",
        KHO_KAFKA_TOPIC_PREFIX=prefix,
        KHO_MONGO_DATABASE=f"{prefix.replace('.', '_')}notify",
        KHO_SMTP_HOST="127.0.0.1",
        KHO_SMTP_PORT=str(smtp.port),
        KHO_PROVIDER_BACKOFF_SECONDS="0.05",
        **providers.settings_env(TEMPLATES),
    )
    try:
        yield Rig(notify, providers, mailbox, prefix)
    finally:
        notify.stop()
        providers.stop()
        smtp.stop()


def set_contacts(rig: Rig, idp: TestIdentityProvider, recipient: str, **body: Any) -> dict[str, Any]:
    operator = idp.headers(idp.token(subject="op-1", actor="operator"))
    response = httpx.put(f"{rig.notify.url}/v1/recipients/{recipient}", json=body, headers=operator, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def make_citizen(n: int) -> tuple[str, str]:
    """A made-up CCCD number and mobile number."""
    suffix = f"{uuid.uuid4().int % 10**6:06d}"
    return f"0520{n % 10}{n % 10}{suffix}", f"09{n % 10}{suffix}{n % 10}"


def test_contacts_api_validates_authorizes_and_normalizes(rig: Rig, identity_provider: TestIdentityProvider) -> None:
    citizen, phone = make_citizen(1)
    mine = identity_provider.citizen(citizen)
    url = f"{rig.notify.url}/v1/recipients"
    bad = httpx.put(f"{url}/me", json={"phone": "12345", "channels": ["sms"]}, headers=mine)
    assert bad.status_code == 422 and "số điện thoại" in bad.text
    bad = httpx.put(f"{url}/me", json={"channels": ["sms", "sms"]}, headers=mine)
    assert bad.status_code == 422
    ok = httpx.put(f"{url}/me", json={"phone": f"0{phone[1:]}", "channels": ["sms", "email"]}, headers=mine)
    assert ok.status_code == 200, ok.text
    assert ok.json()["phone"] == f"84{phone[1:]}" and ok.json()["channels"] == ["sms", "email"]
    assert httpx.get(f"{url}/{citizen}", headers=mine).json()["phone"] == f"84{phone[1:]}"
    other, _ = make_citizen(2)
    assert httpx.get(f"{url}/{citizen}", headers=identity_provider.citizen(other)).status_code == 404
    assert httpx.put(f"{url}/{citizen}", json={}, headers=identity_provider.citizen(other)).status_code == 403
    clerk = identity_provider.officer(AGENCY, ["front_desk"])
    assert httpx.put(f"{url}/agency:{AGENCY}", json={"email": "a@b.vn"}, headers=clerk).status_code == 403
    admin = identity_provider.officer(AGENCY, ["agency_admin"])
    assert (
        httpx.put(f"{url}/me", json={"email": "VanThu@H08.Gov.VN", "channels": ["email"]}, headers=admin).json()[
            "email"
        ]
        == "VanThu@h08.gov.vn"
    )
    assert httpx.put(f"{url}/not-an-id", json={}, headers=admin).status_code == 422


def test_every_event_reaches_the_right_people_on_the_right_channel(
    rig: Rig, identity_provider: TestIdentityProvider
) -> None:
    owner, owner_phone = make_citizen(3)
    applicant, applicant_phone = make_citizen(4)
    by_sms, sms_phone = make_citizen(5)
    by_mail, _ = make_citizen(6)
    set_contacts(rig, identity_provider, owner, phone=owner_phone, channels=["zalo", "sms"])
    set_contacts(rig, identity_provider, applicant, phone=applicant_phone, channels=["zalo"])
    set_contacts(rig, identity_provider, by_sms, phone=sms_phone, channels=["sms", "zalo"])
    set_contacts(rig, identity_provider, by_mail, email="cong.dan@example.vn", channels=["email"])
    set_contacts(rig, identity_provider, f"agency:{AGENCY}", email="mot.cua@example.gov.vn", channels=["email"])
    owner_phone, applicant_phone = f"84{owner_phone[1:]}", f"84{applicant_phone[1:]}"
    expected_zalo = {  # kind -> recipient phone
        "dossier_submitted": {owner_phone, applicant_phone},
        "dossier_accepted": {owner_phone},
        "supplement_requested": {owner_phone},
        "dossier_rejected": {owner_phone},
        "result_returned": {owner_phone},
        "result_corrected": {owner_phone},
        "certified_copy_issued": {owner_phone},
        "document_stored": {owner_phone},
        "document_rejected": {owner_phone},
        "dispute_resolved": {owner_phone},
    }
    rig.send(
        ev.dossier_submitted(owner, applicant),
        ev.dossier_accepted(owner),
        ev.supplement_requested(owner),
        ev.dossier_rejected(owner),
        ev.result_returned(owner),
        ev.result_issued(owner, hidden=True),  # hidden until returned: nobody is told
        ev.result_issued(owner, hidden=False, supersedes="doc-old"),
        ev.certified_copy_issued(owner),
        ev.document_stored(owner),
        ev.document_stored(owner, StoreKind.AGENCY_ISSUED),  # announced by the issuing events instead
        ev.document_rejected(owner),
        ev.dispute_resolved(owner, AGENCY),
        ev.result_disputed(owner, AGENCY),
        ev.dispute_overdue(owner, AGENCY),
        ev.supplement_requested(by_sms),
        ev.dossier_rejected(by_mail),
    )
    kind_of = {template_id: kind for kind, template_id in TEMPLATES.items()}
    zalo = wait_for(lambda: len(rig.calls("zalo")) >= 11 and rig.calls("zalo"), what="zalo calls")
    got: dict[str, set[str]] = {}
    for call in zalo:
        got.setdefault(kind_of[call["body"]["template_id"]], set()).add(call["body"]["phone"])
    assert got == expected_zalo
    submitted = next(c["body"] for c in zalo if kind_of[c["body"]["template_id"]] == "dossier_submitted")
    assert submitted["template_data"]["procedure_name"] == "Đăng ký khai sinh"  # diacritics kept
    assert submitted["template_data"]["submitted_at"] == "09:30 02/03/2026"  # Vietnam time
    assert len(submitted["tracking_id"]) == 36

    (sms,) = wait_for(lambda: rig.calls("sms"), what="sms")
    content = sms["body"]["Content"]
    assert sms["body"]["Phone"] == f"84{sms_phone[1:]}" and sms["body"]["IsUnicode"] == "0"
    assert content.startswith("Ho so ") and "can bo sung" in content and "Thieu ban sao" in content
    assert content.isascii() and len(content) <= 306

    wait_for(lambda: len(rig.mailbox.messages) >= 3, what="three e-mails")
    mails = {text_of(m)[0]: (m["To"], text_of(m)[1], m["Message-ID"]) for m in rig.mailbox.messages}
    assert mails["[Kho dữ liệu] Hồ sơ không được giải quyết"][0] == "cong.dan@example.vn"
    assert "Lý do: Hồ sơ không thuộc thẩm quyền" in mails["[Kho dữ liệu] Hồ sơ không được giải quyết"][1]
    to, body, message_id = mails["[Kho dữ liệu] Phản ánh mới về kết quả giải quyết"]
    assert to == "mot.cua@example.gov.vn" and "thông tin công dân không chính xác" in body
    assert body.startswith("Kính gửi Quý cơ quan") and message_id.endswith("@kho.gov.vn>")
    assert "Phản ánh quá hạn xử lý" in " ".join(mails)

    inbox = httpx.get(f"{rig.notify.url}/v1/inbox", headers=identity_provider.citizen(owner)).json()
    assert len(inbox) == 10  # one per event that concerns the owner, on top of the external channel
    agency_inbox = httpx.get(
        f"{rig.notify.url}/v1/inbox", headers=identity_provider.officer(AGENCY, ["front_desk"])
    ).json()
    assert sorted(m["kind"] for m in agency_inbox) == ["dispute_overdue", "result_disputed"]
    first = inbox[0]
    assert (
        httpx.post(
            f"{rig.notify.url}/v1/inbox/{first['id']}/read", headers=identity_provider.citizen(owner)
        ).status_code
        == 204
    )
    unread = httpx.get(f"{rig.notify.url}/v1/inbox?unread=true", headers=identity_provider.citizen(owner)).json()
    assert len(unread) == 9
    assert (
        httpx.post(
            f"{rig.notify.url}/v1/inbox/{first['id']}/read", headers=identity_provider.citizen(applicant)
        ).status_code
        == 404
    )  # someone else's message
    time.sleep(1.0)
    assert len(rig.calls("zalo")) == 11 and len(rig.calls("sms")) == 1 and len(rig.mailbox.messages) == 3


def test_retry_then_fallback_then_dead_letter(rig: Rig, identity_provider: TestIdentityProvider) -> None:
    flaky, flaky_phone = make_citizen(7)
    no_zalo, no_zalo_phone = make_citizen(8)
    unreachable, unreachable_phone = make_citizen(9)
    for who, phone in ((flaky, flaky_phone), (no_zalo, no_zalo_phone), (unreachable, unreachable_phone)):
        set_contacts(rig, identity_provider, who, phone=phone, channels=["zalo", "sms"])
    refused = [f"84{no_zalo_phone[1:]}", f"84{unreachable_phone[1:]}"]
    rig.providers.control(
        zalo={"transient_next": 2, "refuse_phones": refused}, sms={"refuse_phones": [f"84{unreachable_phone[1:]}"]}
    )
    try:
        (flaky_record,) = rig.send(ev.dossier_accepted(flaky))
        wait_for(lambda: [c for c in rig.calls("zalo") if c["body"]["phone"] == f"84{flaky_phone[1:]}"
                          and c["result"] is None], what="flaky delivered")  # fmt: skip
        flaky_calls = [c for c in rig.calls("zalo") if c["body"]["phone"] == f"84{flaky_phone[1:]}"]
        assert [c["result"] for c in flaky_calls] == ["transient", "transient", None]
        assert len({c["key"] for c in flaky_calls}) == 1  # the same tracking id on every attempt

        rig.send(ev.dossier_accepted(no_zalo))
        (sms,) = wait_for(lambda: [c for c in rig.calls("sms") if c["body"]["Phone"] == refused[0]], what="fallback")
        assert sms["result"] is None

        (dead,) = rig.send(ev.dossier_rejected(unreachable))
        dead_letters = asyncio.run(_read(f"{rig.prefix}kho.dlq.notify", 1))
        assert len(dead_letters) == 1
        reason = dict(dead_letters[0].headers)["x-dlq-reason"].decode()
        assert "zalo: zalo error -118" in reason and "sms: sms gateway code 99" in reason
        assert dead_letters[0].value == dead.value  # the original event, byte for byte
        assert dict(dead_letters[0].headers)["ce_id"] == dict(dead.headers)["ce_id"]
    finally:
        rig.providers.control(zalo={}, sms={})

    flaky_id = dict(flaky_record.headers)["ce_id"].decode()
    events = [d for d in rig.deliveries(200) if d["source_event_id"] == flaky_id]
    assert sorted((d["type"].split(".")[-2], d["channel"], d["attempts"]) for d in events) == [
        ("delivered", "inapp", 1),
        ("delivered", "zalo", 3),
    ]
    operator = identity_provider.headers(identity_provider.token(subject="op-1", actor="operator"))
    dead_id = dict(dead.headers)["ce_id"].decode()
    (status,) = httpx.get(f"{rig.notify.url}/v1/events/{dead_id}/notifications", headers=operator).json()
    assert [(d["channel"], d["status"]) for d in status["deliveries"]] == [
        ("inapp", "delivered"),
        ("zalo", "failed"),
        ("sms", "failed"),
    ]
    own = httpx.get(
        f"{rig.notify.url}/v1/notifications/{status['notification_id']}", headers=identity_provider.citizen(unreachable)
    )
    assert own.status_code == 200
    assert (
        httpx.get(
            f"{rig.notify.url}/v1/notifications/{status['notification_id']}", headers=identity_provider.citizen(flaky)
        ).status_code
        == 404
    )


def test_a_redelivered_event_is_not_sent_again(rig: Rig, identity_provider: TestIdentityProvider) -> None:
    citizen, phone = make_citizen(0)
    set_contacts(rig, identity_provider, citizen, phone=phone, channels=["sms"])
    event = ev.result_returned(citizen)
    event_id = str(uuid.uuid4())
    rig.send(event, event_id=event_id)
    wait_for(lambda: [c for c in rig.calls("sms") if c["body"]["Phone"] == f"84{phone[1:]}"], what="first")
    before = len(rig.providers.received())
    rig.send(event, event_id=event_id)
    rig.send(event, event_id=event_id)
    marker, marker_phone = make_citizen(1)  # an event sent after the copies: once it is through, so are they
    set_contacts(rig, identity_provider, marker, phone=marker_phone, channels=["sms"])
    rig.send(ev.result_returned(marker))
    wait_for(lambda: [c for c in rig.calls("sms") if c["body"]["Phone"] == f"84{marker_phone[1:]}"], what="marker")
    time.sleep(0.5)
    assert len(rig.providers.received()) == before + 1
    inbox = httpx.get(f"{rig.notify.url}/v1/inbox", headers=identity_provider.citizen(citizen)).json()
    assert len(inbox) == 1
