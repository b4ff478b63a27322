"""A small local stand-in for GitHub's issue-comment REST API (and GitLab's merge-request
notes under /api/v4/), over real HTTP on loopback.

Implements what ``github-comment`` calls: list a pull request's comments (paged, with a
``Link: <...>; rel="next"`` header), create, update and delete a comment; checks the bearer
token (401), and answers the next requests with queued failures (``fail_next``) for the
403 and rate-limit cases. ``requests`` records every call as (method, path).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs-standin-token-123"
BOT = "github-actions[bot]"


@dataclass
class StandIn:
    repository: str = "acme/ccai-config"
    project_id: int = 42  # GitLab: the project whose merge-request notes are served
    page_size: int = 2  # small, so that paging is exercised
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    next_id: int = 1000
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, pr: int, body: str, user: str = "alice") -> int:
        with self.lock:
            self.next_id += 1
            comment = {
                "id": self.next_id,
                "body": body,
                "user": {"login": user},
                "html_url": f"https://github.example/{self.repository}/pull/{pr}"
                f"#issuecomment-{self.next_id}",
            }
            self.comments.setdefault(pr, []).append(comment)
            return self.next_id

    def bodies(self, pr: int) -> list[tuple[str, str]]:
        with self.lock:
            return [(c["user"]["login"], c["body"]) for c in self.comments.get(pr, [])]

    def find(self, comment_id: int) -> tuple[int, dict[str, Any]] | None:
        for pr, items in self.comments.items():
            for c in items:
                if c["id"] == comment_id:
                    return pr, c
        return None


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        st: StandIn = self.server.standin
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"null") if length else None
        with st.lock:
            st.requests.append((method, parts.path))
            failure = st.fail_next.pop(0) if st.fail_next else None
        if failure:
            status, headers, body = failure
            return self._send(status, body, headers)
        gitlab = parts.path.startswith("/api/v4/")
        if gitlab and self.headers.get("PRIVATE-TOKEN") != TOKEN:
            return self._send(401, {"message": "401 Unauthorized"})
        if not gitlab and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "Bad credentials"})
        if gitlab:
            notes = rf"/api/v4/projects/{st.project_id}/merge_requests/(\d+)/notes"
            m_list = re.fullmatch(notes, parts.path)
            m_one = re.fullmatch(rf"{notes}/(?P<id>\d+)", parts.path)
            update = "PUT"
        else:
            prefix = f"/repos/{st.repository}"
            m_list = re.fullmatch(rf"{re.escape(prefix)}/issues/(\d+)/comments", parts.path)
            m_one = re.fullmatch(rf"{re.escape(prefix)}/issues/comments/(?P<id>\d+)", parts.path)
            update = "PATCH"
        if m_list and method == "GET":
            pr = int(m_list.group(1))
            query = parse_qs(parts.query)
            per_page = min(int(query.get("per_page", ["30"])[0]), st.page_size)
            page = int(query.get("page", ["1"])[0])
            with st.lock:
                items = list(st.comments.get(pr, []))
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                nxt = f"{st.base_url}{parts.path}?per_page={per_page}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            return self._send(200, chunk, headers)
        if m_list and method == "POST":
            pr = int(m_list.group(1))
            new_id = st.add(pr, payload["body"], BOT)
            with st.lock:
                found = st.find(new_id)
            assert found
            return self._send(201, found[1])
        if m_one and method in (update, "DELETE"):
            with st.lock:
                found = st.find(int(m_one.group("id")))
                if found is None:
                    return self._send(404, {"message": "Not Found"})
                pr, comment = found
                if method == "DELETE":
                    st.comments[pr].remove(comment)
                else:
                    comment["body"] = payload["body"]
            return self._send(204) if method == "DELETE" else self._send(200, comment)
        return self._send(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


@contextmanager
def run_standin() -> Iterator[StandIn]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin = StandIn()
    standin.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    server.standin = standin  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def env_for(standin: StandIn, event_path: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "GITHUB_API_URL": standin.base_url,
        "GITHUB_TOKEN": token,
        "GITHUB_REPOSITORY": standin.repository,
        "GITHUB_EVENT_PATH": event_path,
    }
