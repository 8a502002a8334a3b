"""A fake Postmark on 127.0.0.1: a real HTTP server answering the Email API as Postmark does.

`POST /email`, JSON, with the server token in `X-Postmark-Server-Token`. It checks the
token and the recipient, answers with a `MessageID` of its own (the id its delivery
reports will carry), refuses an inactive recipient (a past hard bounce or complaint) with
error 406, and records every request. A test can queue a bare HTTP error for the next
request or make it answer late.

    with FakePostmark(server_token=TOKEN) as postmark:
        url = f"anymail+postmark://{TOKEN}@?api_url={postmark.url}/"
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from tests.local_server import LocalHttpServer


@dataclass(frozen=True)
class SeenRequest:
    path: str
    server_token: str | None
    body: dict

    def header(self, name: str) -> str | None:
        """A header of the email as sent (Postmark takes them as a list of Name/Value)."""
        for header in self.body.get("Headers") or []:
            if header["Name"].lower() == name.lower():
                return header["Value"]
        return None


@dataclass
class FakePostmark(LocalHttpServer):
    server_token: str
    inactive: set[str] = field(default_factory=set)
    requests: list[SeenRequest] = field(default_factory=list)
    accepted: dict[str, SeenRequest] = field(default_factory=dict)  # by MessageID
    answer_delay: float = 0.0
    errors: list[int] = field(default_factory=list)

    def __post_init__(self):
        self.lock = threading.Lock()
        self._serve(_handler_for(self))

    def fail_next(self, status: int) -> None:
        """Answer the next request with a bare HTTP error, as an outage or a proxy does."""
        with self.lock:
            self.errors.append(status)

    def answer(self, request: SeenRequest) -> tuple[int, str]:
        with self.lock:
            self.requests.append(request)
            canned = self.errors.pop(0) if self.errors else None
        if request.path != "/email":
            return 404, json.dumps({"ErrorCode": 404, "Message": "Not found."})
        if request.server_token != self.server_token:
            return 401, _error(10, "The Server Token you provided was invalid.")
        if canned:
            return canned, "Service unavailable"
        to = request.body.get("To") or ""
        if not to:
            return 422, _error(300, "Invalid 'To' address: ''.")
        inactive = sorted(address for address in self.inactive if address in to.lower())
        if inactive:
            return 422, _error(
                406,
                "You tried to send to recipient(s) that have been marked as inactive.\n"
                f"Found inactive addresses: {', '.join(inactive)}.\n"
                "Inactive recipients are ones that have generated a hard bounce or a "
                "spam complaint. ",
            )
        message_id = str(uuid.uuid4())
        with self.lock:
            self.accepted[message_id] = request
        submitted = datetime.now(UTC).isoformat(timespec="milliseconds")
        body = {
            "To": to,
            "SubmittedAt": submitted,
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }
        return 200, json.dumps(body)


def _error(code: int, message: str) -> str:
    return json.dumps({"ErrorCode": code, "Message": message})


def _handler_for(fake: FakePostmark) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            request = SeenRequest(
                path=self.path,
                server_token=self.headers.get("X-Postmark-Server-Token"),
                body=json.loads(raw or "{}"),
            )
            status, body = fake.answer(request)
            time.sleep(fake.answer_delay)
            encoded = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the read timeout test)

        def log_message(self, format, *args):  # noqa: A002 - quiet in the test output
            pass

    return Handler
