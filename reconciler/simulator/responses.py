"""JSON responses and the refusal an endpoint raises to answer early."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, mimetype="application/json", headers=headers or {}
    )


def json_body(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON (also a body nested deeper than
    the parser can follow: a client error, never a 500)."""
    try:
        return request.get_json(silent=True, force=True)
    except RecursionError:
        return None


def message(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return json_response({"message": text}, status, headers)


class Refuse(Exception):
    """Raised with the response to send instead of the endpoint's own."""

    def __init__(self, response: Response) -> None:
        self.response = response
