"""A fake Twilio on 127.0.0.1: a real HTTP server answering the Messages API as Twilio does.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP Basic auth
with the account SID and auth token. It checks what Twilio checks (the credentials, a
recipient, a body, a sender), answers 201 with a message resource shaped like Twilio's,
and records every request. A test can queue an error for the next request (Twilio's
error JSON, or a bare 500) or make it answer late.

    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as twilio:
        url = f"twilio://{SID}:{TOKEN}@?from=%2B34600000000&api={twilio.url}"
"""

import base64
import binascii
import json
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl

from tests.local_server import LocalHttpServer

MESSAGES_PATH = re.compile(r"/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json")


@dataclass(frozen=True)
class SeenRequest:
    """One request as the fake received it."""

    method: str
    path: str
    username: str | None
    password: str | None
    form: dict[str, str]


@dataclass(frozen=True)
class CannedError:
    status: int
    body: str
    content_type: str


@dataclass
class FakeTwilio(LocalHttpServer):
    account_sid: str
    auth_token: str
    requests: list[SeenRequest] = field(default_factory=list)
    answer_delay: float = 0.0
    errors: list[CannedError] = field(default_factory=list)

    def __post_init__(self):
        self.lock = threading.Lock()
        self._serve(_handler_for(self))

    def fail_next(self, *, status: int, code: int | None = None, message: str = "") -> None:
        """Answer the next request with Twilio's error JSON (given a `code`), or with a
        bare text body, as a proxy or Twilio's edge answers a 5xx."""
        if code is None:
            error = CannedError(status, message or "Internal Server Error", "text/plain")
        else:
            body = json.dumps(
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                }
            )
            error = CannedError(status, body, "application/json")
        with self.lock:
            self.errors.append(error)

    def answer(self, request: SeenRequest) -> tuple[int, str, str]:
        """The status, body and content type Twilio would answer `request` with."""
        with self.lock:
            self.requests.append(request)
        match = MESSAGES_PATH.fullmatch(request.path)
        if request.method != "POST" or not match:
            return _error(404, 20404, "The requested resource was not found")
        if (request.username, request.password) != (self.account_sid, self.auth_token) or (
            match["sid"] != self.account_sid
        ):
            return _error(401, 20003, "Authenticate")
        with self.lock:
            canned = self.errors.pop(0) if self.errors else None
        if canned:
            return canned.status, canned.body, canned.content_type
        return self.created(request.form)

    def created(self, form: dict[str, str]) -> tuple[int, str, str]:
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        service = form.get("MessagingServiceSid")
        if not form.get("From") and not service:
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        sid = "SM" + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        # Through a Messaging Service without From, Twilio answers "accepted", no sender
        # and 0 segments until it has picked one; otherwise "queued" and a rough count.
        pooled = service and not form.get("From")
        body = form["Body"]
        resource = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "0" if pooled else str(_rough_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if pooled else "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": form["To"],
            "uri": f"{base}.json",
        }
        return 201, json.dumps(resource), "application/json"


def _rough_segments(body: str) -> int:
    """Twilio's count for a plain-ASCII body; the fake needs no more."""
    return 1 if len(body) <= 160 else math.ceil(len(body) / 153)


def _error(status: int, code: int, message: str) -> tuple[int, str, str]:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return status, json.dumps(body), "application/json"


def _basic_auth(header: str | None) -> tuple[str | None, str | None]:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        username, _, password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return username, password


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            username, password = _basic_auth(self.headers.get("Authorization"))
            request = SeenRequest(
                method=self.command,
                path=self.path,
                username=username,
                password=password,
                form=dict(parse_qsl(raw, keep_blank_values=True)),
            )
            status, body, content_type = fake.answer(request)
            time.sleep(fake.answer_delay)
            encoded = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the read timeout test)

        do_GET = do_POST  # noqa: N815 - answered 404, as Twilio answers a wrong path

        def log_message(self, format, *args):  # noqa: A002 - quiet in the test output
            pass

    return Handler
