"""One health probe for every model server: does this URL answer 2xx within a short timeout.

Used by the backends' `health()` (async, on the engine loop) and by the server supervisor,
preset resolution and `doctor` (blocking, in their own threads). It never raises.
"""

from __future__ import annotations

import httpx

HEALTH_TIMEOUT_S = 1.0


async def probe(url: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """True when `url` answers 2xx within `timeout_s` (a health endpoint or a model list)."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        return False
    return response.is_success


def probe_blocking(url: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """`probe` for threads without a loop (doctor, the supervisor, preset resolution)."""
    try:
        return httpx.get(url, timeout=timeout_s).is_success
    except httpx.HTTPError:
        return False
