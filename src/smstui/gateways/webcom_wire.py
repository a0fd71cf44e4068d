"""Webcom wire forms: JSON and XML POSTs with auth, error envelopes, integer ids."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from typing import Any

from smstui.config import Account
from smstui.errors import BadPayload, ConfigError
from smstui.gateways import webcom_parse as wp
from smstui.gateways.http import AccountClient, Reply
from smstui.gateways.parse import load_json, snippet

P = "webcom"
JSON_HEADERS = {"Content-type": "text/json; charset=utf-8"}
XML_HEADERS = {"Content-type": "text/xml; charset=utf-8;"}


def id_int(message_id: str) -> int:
    """Webcom ids are integers; anything else is a usage error, not a request."""
    text = str(message_id).strip()
    if not (text.isdigit() and text.isascii()):
        raise ConfigError(f"webcom message ids are numbers, got {message_id!r}")
    return int(text)


def client_id_sms(client_id: str) -> int:
    """Webcom's integer idempotency key for any client id: digits as they are, other strings
    (e.g. a uuid hex) hashed stably, so the same client id always means the same send."""
    text = str(client_id).strip()
    if text.isdigit() and text.isascii() and 0 < int(text) < 2**31:
        return int(text)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (2**31 - 2) + 1


class WebcomWire(AccountClient):
    """Auth, the JSON and XML request forms and their error envelopes, for one account."""

    def __init__(self, account: Account, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        self._xml_state = True  # flips off if the XML state endpoint is missing (HTTP 404)
        self._json_state = True  # flips off if /json/state.php is missing: GET fallback

    def _auth(self) -> dict[str, str]:
        if self.account.token:
            return {"token": self.account.token.reveal()}
        password = self.account.password.reveal() if self.account.password else ""
        return {"login": self.account.login, "password": password}

    async def _json(self, endpoint: str, path: str, body: dict[str, Any], *, read: bool) -> Any:
        """POST a JSON document; `{"error": …}` raises whatever the HTTP status (200 or 400)."""
        content = json.dumps({**self._auth(), **body}, ensure_ascii=False).encode("utf-8")
        reply = await self._http.request(
            endpoint, "POST", path, content=content, headers=JSON_HEADERS, read=read
        )
        return self._decode_json(reply)

    def _decode_json(self, reply: Reply) -> Any:
        secrets = self.account.secrets()
        payload = load_json(reply.body, provider=P, status=reply.status, secrets=secrets)
        if isinstance(payload, dict) and "error" in payload and payload["error"]:
            raise wp.api_error(str(payload["error"]), account=self.account.name, secrets=secrets)
        if reply.status >= 400:
            raise BadPayload(
                f"webcom: HTTP {reply.status}: {snippet(reply.body, secrets)}",
                provider=P,
                account=self.account.name,
            )
        return payload

    async def _xml_reply(self, endpoint: str, path: str, inner: str) -> Reply:
        """POST an XML request (reads only) and return the raw reply."""
        content = wp.xml_request(self._auth(), inner)
        return await self._http.request(
            endpoint, "POST", path, content=content, headers=XML_HEADERS, read=True
        )

    def _decode_xml(self, reply: Reply) -> ET.Element:
        """The parsed <response> root; errors (XML or, leniently, JSON) raise typed."""
        if reply.body.lstrip().startswith(b"{"):  # some errors come back as JSON
            self._decode_json(reply)
            raise BadPayload(
                f"webcom: JSON where XML was expected: {snippet(reply.body)}",
                provider=P,
                account=self.account.name,
            )
        return wp.load_xml(
            reply.body,
            account=self.account.name,
            status=reply.status,
            secrets=self.account.secrets(),
        )

    async def _xml(self, endpoint: str, path: str, inner: str) -> ET.Element:
        """POST an XML request → the parsed root."""
        return self._decode_xml(await self._xml_reply(endpoint, path, inner))

    def _get_auth(self) -> dict[str, str]:
        auth = self._auth()
        if "token" in auth:
            return auth
        return {"user": auth["login"], "pwd": auth["password"]}
