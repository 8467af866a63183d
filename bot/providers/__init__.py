"""Headshot providers. The port they implement, and what they are given and answer with, is
`bot.ports.providers`; what they share beyond it is here."""

from __future__ import annotations

import aiohttp


async def read_answer(response: aiohttp.ClientResponse, max_bytes: int) -> bytes | None:
    """A provider's answer body, read in chunks; None (and nothing more read) past `max_bytes`."""
    if response.content_length is not None and response.content_length > max_bytes:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(256 * 1024):
        body += chunk
        if len(body) > max_bytes:
            return None
    return bytes(body)
