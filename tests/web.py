"""A person's browser over the test client, for the web pages' HTTP tests."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Cookies, Response


class Browser:
    """One person's browser: their own cookies (their session) on the shared test client, and
    the CSRF token their pages carry."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.key = key
        self.cookies = Cookies()
        signed_in = self._send("POST", "/sign-in", data={"key": key}, follow_redirects=True)
        assert signed_in.status_code == 200 and signed_in.url.path == "/", signed_in.text
        self.csrf = field_value(signed_in.text, "csrf_token")

    def _send(self, method: str, url: str, **kwargs: Any) -> Response:
        self.client.cookies = self.cookies
        try:
            return self.client.request(method, url, **kwargs)
        finally:
            self.cookies = Cookies(self.client.cookies)
            self.client.cookies = Cookies()

    def get(self, url: str, **params: Any) -> Response:
        return self._send("GET", url, params=params or None)

    def post(self, url: str, data: dict[str, Any], *, csrf: bool = True, **kwargs: Any) -> Response:
        form = {"csrf_token": self.csrf, **data} if csrf else data
        return self._send("POST", url, data=form, follow_redirects=False, **kwargs)


def field_value(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no field {name!r}"
    return html.unescape(match.group(1))


def text_of(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))
