"""Errors of the HTTP APIs as problem details (RFC 9457), in English for operators and Vietnamese for
citizens."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, detail_vi: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.detail_vi = detail_vi
        self.extra = extra


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", "Không tìm thấy dữ liệu yêu cầu")


def problem(status: int, code: str, detail: str, detail_vi: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://kho.gov.vn/problems/{code}",
        "title": code,
        "status": status,
        "detail": detail,
        "detail_vi": detail_vi,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_STATUS_VI = {
    400: "Yêu cầu không hợp lệ",
    401: "Bạn cần đăng nhập để thực hiện thao tác này",
    403: "Bạn không có quyền thực hiện thao tác này",
    404: "Không tìm thấy dữ liệu yêu cầu",
    405: "Phương thức không được hỗ trợ",
    409: "Yêu cầu xung đột với trạng thái hiện tại",
    413: "Tệp tin vượt quá dung lượng cho phép",
    415: "Định dạng tệp tin không được hỗ trợ",
    422: "Dữ liệu gửi lên không hợp lệ",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, exc.detail_vi, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return problem(422, "validation_error", "request is not valid", _STATUS_VI[422], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return problem(exc.status_code, "http_error", detail, _STATUS_VI.get(exc.status_code, "Đã có lỗi xảy ra"))
