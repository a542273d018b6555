"""The EU portal's search API on 127.0.0.1 for tests (pytest-httpserver), serving the real
sample response (tests/fixtures/eu-portal-search-page.json) split over pages.

Usage::

    portal = Portal(httpserver)
    portal.serve(TOPICS, size=3)          # pages of three topics
    portal.queue(2, json_response({}, status=503))   # page 2 fails once first
"""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SAMPLE = json.loads((Path(__file__).parent / "fixtures" / "eu-portal-search-page.json").read_text())
TOPICS = SAMPLE["results"]  # nine results: eight topics, the last one listed twice
IDS = list(dict.fromkeys(topic["metadata"]["identifier"][0] for topic in TOPICS))
PATH = "/search-api/prod/rest/search"


def page(number: int, results: list, *, total: int, size: int) -> dict:
    """A search response shaped like the sample: its envelope, these results."""
    return {
        **SAMPLE,
        "pageNumber": number,
        "pageSize": size,
        "totalResults": total,
        "results": results,
    }


def json_response(data: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, headers=headers, content_type="application/json"
    )


class Portal:
    """The search API on loopback: records each request; answers with the queued response for
    the page asked for, else with that page from ``pages``."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.url = server.url_for(PATH)
        self.pages: dict[int, dict] = {}
        self.queued: dict[int, list[Response]] = {}
        self.requests: list[dict] = []
        server.expect_request(PATH, method="POST").respond_with_handler(self.handle)

    def serve(self, topics: list, size: int, total: int | None = None) -> None:
        chunks = [topics[i : i + size] for i in range(0, len(topics), size)] or [[]]
        total = len(topics) if total is None else total
        self.pages = {
            n: page(n, chunk, total=total, size=size) for n, chunk in enumerate(chunks, 1)
        }

    def queue(self, number: int, *responses: Response) -> None:
        self.queued.setdefault(number, []).extend(responses)

    def handle(self, request: Request) -> Response:
        parts = {
            name: (part.filename, part.content_type, json.loads(part.read()))
            for name, part in request.files.items()
        }
        self.requests.append(
            {
                "method": request.method,
                "args": dict(request.args),
                "raw_query": request.query_string.decode(),
                "content_type": request.content_type,
                "form": dict(request.form),
                "parts": parts,
                "user_agent": request.headers.get("User-Agent"),
            }
        )
        number = int(request.args["pageNumber"])
        if self.queued.get(number):
            return self.queued[number].pop(0)
        return json_response(self.pages[number])

    def pages_asked(self) -> list[int]:
        return [int(r["args"]["pageNumber"]) for r in self.requests]
