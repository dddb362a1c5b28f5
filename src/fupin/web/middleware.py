"""Failures the site answers with a page of their own instead of a server error."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fupin.reports.pdf import FontMissing


class PdfFontMissingMiddleware:
    """A PDF asked for on a machine without an embeddable Chinese font: every view that writes
    PDFs (help cards, registers, circulars, notices, assessment reports) answers 503 with the
    reason and what to install, not HTTP 500. The font is looked for again on the next request,
    so installing it mends a running server."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, FontMissing):
            return None
        return render(
            request,
            "web/unavailable.html",
            {"heading": "暂时无法生成 PDF", "reason": str(exception)},
            status=503,
        )
