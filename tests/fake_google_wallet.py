"""A fake Google on 127.0.0.1: a real HTTP server answering what a Google Wallet update
asks, as Google does.

`POST /token`: the OAuth token endpoint a service account's signed assertion is traded at
(form-encoded); it answers a bearer token. `PATCH <api>/loyaltyObject/{issuer}.{serial}`
(JSON): the Wallet REST API's loyalty object; it answers 404 for an object Google never
made (a member who never saved the pass, listed in `missing`), else the scripted
`statuses` in turn, then 200. Every request is recorded.

    fake = FakeGoogleWallet()
    settings.GOOGLE_WALLET_API_URL = f"{fake.url}/walletobjects/v1"  # and the key's token_uri
    ...
    fake.close()
"""

import json
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.local_server import LocalHttpServer


class FakeGoogleWallet(LocalHttpServer):
    def __init__(self):
        self.requests: list[dict] = []
        self.missing: set[str] = set()
        self.statuses: list[int] = []
        self.token_status = 200
        self.issued_token = "ya29.fake-access-token"
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.record()
                if self.path != "/token":
                    return self.answer(404, {})
                if fake.token_status != 200:
                    return self.answer(fake.token_status, {"error": "invalid_grant"})
                token = {"access_token": fake.issued_token, "expires_in": 3600}
                return self.answer(200, {**token, "token_type": "Bearer"})

            def do_PATCH(self):
                request = self.record()
                object_id = self.path.rsplit("/", 1)[-1]
                if object_id in fake.missing:
                    return self.answer(404, {"error": {"code": 404}})
                with fake.lock:
                    status = fake.statuses.pop(0) if fake.statuses else 200
                return self.answer(status, {"id": object_id, **request["json"]})

            def record(self) -> dict:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type", "")
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(body) if "json" in content_type else None,
                    "form": parse_qs(body.decode()) if "form" in content_type else None,
                }
                with fake.lock:
                    fake.requests.append(request)
                return request

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._serve(Handler)
        self.thread.start()

    def sent(self, method: str) -> list[dict]:
        with self.lock:
            return [request for request in self.requests if request["method"] == method]
