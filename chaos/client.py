"""A small JSON client for the sandbox's HTTP API (docs/contracts.md section 4), loopback only.

Chaos Toolkit activities run in ``chaos run``'s process or in the war game's; both reach the sandbox
over HTTP so that the same experiment file works against ``ops sandbox serve`` and inside a war game.
The URL comes from the experiment's configuration (``sandbox_url``), else ``REELOPS_SANDBOX_URL``,
else the contract's default.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from chaoslib.exceptions import ActivityFailed

DEFAULT_URL = "http://127.0.0.1:8900"
TIMEOUT_S = 10.0
Configuration = Mapping[str, Any] | None


def base_url(configuration: Configuration) -> str:
    url = (configuration or {}).get("sandbox_url") or os.environ.get("REELOPS_SANDBOX_URL") or DEFAULT_URL
    return str(url).rstrip("/")


def call(method: str, path: str, configuration: Configuration, body: Any = None) -> Any:
    """One request; the decoded JSON answer, or ActivityFailed naming the URL and the problem."""
    url = base_url(configuration) + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise ActivityFailed(f"{method} {url}: HTTP {exc.code}: {exc.read()[:300]!r}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise ActivityFailed(f"{method} {url}: sandbox unreachable ({exc}); is `ops sandbox serve` running?") from None
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        raise ActivityFailed(f"{method} {url}: answer is not JSON: {raw[:200]!r}") from None


def unwrap_list(answer: Any, key: str) -> list[dict[str, Any]]:
    """A list answer, bare (``[...]``) or wrapped in an object (``{"samples": [...]}``)."""
    if isinstance(answer, dict):
        answer = answer.get(key, [])
    return [item for item in (answer or []) if isinstance(item, dict)]
