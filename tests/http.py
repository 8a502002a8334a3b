"""A tiny real-HTTP client for the live server: cookies, CSRF, no redirect following.

The concurrency tests need requests that really run in parallel against the server, which
Django's test Client (in-process, one request at a time) cannot give.
"""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class HttpResponse:
    status: int
    text: str
    location: str


class HttpSession:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect
        )

    def _open(self, request) -> HttpResponse:
        try:
            with self.opener.open(request, timeout=30) as response:
                return HttpResponse(response.status, response.read().decode(), "")
        except urllib.error.HTTPError as error:
            return HttpResponse(
                error.code, error.read().decode(), error.headers.get("Location", "")
            )

    def get(self, path: str) -> HttpResponse:
        return self._open(urllib.request.Request(self.base_url + path))

    def csrf_token(self, path: str) -> str:
        page = self.get(path).text
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def prepare_post(self, path: str, data: dict, *, csrf_page: str = "") -> urllib.request.Request:
        """A POST ready to send, its CSRF token read now from `csrf_page` (default: `path`)."""
        token = self.csrf_token(csrf_page or path)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token})
        return urllib.request.Request(
            self.base_url + path,
            data=body.encode(),
            headers={"Referer": self.base_url + path},
            method="POST",
        )

    def send(self, request: urllib.request.Request) -> HttpResponse:
        return self._open(request)

    def post(self, path: str, data: dict, *, csrf_page: str = "") -> HttpResponse:
        return self.send(self.prepare_post(path, data, csrf_page=csrf_page))

    def login(self, email: str, password: str) -> None:
        response = self.post("/accounts/login/", {"login": email, "password": password})
        assert response.status == 302, response.text[:500]
        assert "/accounts/" not in self.get("/").location, "signed in, email verified"
