"""The dossier's statuses and the transitions each role may make. Every status change goes through
`transition`, so a change the current status does not allow is refused before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kho_submission.domain.errors import Conflict, Forbidden, Invalid


class Status(StrEnum):
    DRAFT = "draft"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATUS_VI = {
    Status.DRAFT: "Hồ sơ nháp",
    Status.RECEIVED: "Đã tiếp nhận",
    Status.ACCEPTED: "Đã chấp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung",
    Status.RESULT_READY: "Có kết quả",
    Status.RETURNED: "Đã trả kết quả",
    Status.REJECTED: "Từ chối",
    Status.WITHDRAWN: "Đã rút hồ sơ",
}

OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.RESULT_READY}
)

OWNER = "owner"  # the dossier's owner or its applicant


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[str]


def _t(action: str, sources: set[Status], target: Status, *roles: str) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles))


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("submit", {Status.DRAFT}, Status.RECEIVED, OWNER),
        _t("accept", {Status.RECEIVED}, Status.ACCEPTED, "front_desk"),
        _t(
            "request_supplement",
            {Status.RECEIVED, Status.ACCEPTED, Status.PROCESSING},
            Status.SUPPLEMENT_REQUESTED,
            "front_desk",
            "processing",
        ),
        _t("supplement", {Status.SUPPLEMENT_REQUESTED}, Status.RECEIVED, OWNER),
        _t(
            "reject", {Status.RECEIVED, Status.ACCEPTED, Status.PROCESSING}, Status.REJECTED, "front_desk", "processing"
        ),
        _t("start_processing", {Status.ACCEPTED}, Status.PROCESSING, "processing"),
        _t("issue_result", {Status.ACCEPTED, Status.PROCESSING}, Status.RESULT_READY, "issuing"),
        _t("return_result", {Status.RESULT_READY}, Status.RETURNED, "front_desk"),
        _t(
            "withdraw",
            {Status.RECEIVED, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED},
            Status.WITHDRAWN,
            OWNER,
        ),
    )
}


def transition(current: Status | str, action: str, role: str) -> Status:
    """The status after `action`, or an error saying why it is not allowed (by whom, from which status)."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise Invalid(f"unknown action {action!r}", "Thao tác không hợp lệ", code="unknown_action")
    if role not in rule.roles:
        raise Forbidden(
            f"action {action} needs one of the roles {sorted(rule.roles)}",
            "Bạn không có vai trò phù hợp để thực hiện thao tác này",
            code="wrong_role",
        )
    status = Status(current)
    if status not in rule.sources:
        raise Conflict(
            f"action {action} is not allowed when the dossier is {status.value}",
            f"Không thể thực hiện thao tác khi hồ sơ ở trạng thái “{STATUS_VI[status]}”",
            code="transition_not_allowed",
            status_now=status.value,
        )
    return rule.target


def dossier_code(agency_code: str, day: date, number: int) -> str:
    """`{agency code}-{yyMMdd}-{NNNN}`."""
    if not 1 <= number <= 9999:
        raise Conflict(
            f"agency {agency_code} reached the daily limit of 9999 dossiers",
            "Cơ quan đã tiếp nhận quá số hồ sơ tối đa trong ngày",
            code="daily_limit",
        )
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"
