"""The Slack Web API clients: what is retried, what is counted, and the stricter client for posts."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient


class CountedRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retries 429 answers after Retry-After, and reports each one (for the metrics)."""

    def __init__(self, on_rate_limited: Callable[[], None], max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.on_rate_limited = on_rate_limited

    async def can_retry_async(
        self, *, state: RetryState, request: HttpRequest,
        response: HttpResponse | None = None, error: Exception | None = None,
    ) -> bool:
        """Whether to try again; a 429 is reported even when the retries are used up."""
        if response is not None and response.status_code == 429:
            self.on_rate_limited()
        return await super().can_retry_async(state=state, request=request, response=response, error=error)


def retry_handlers(on_rate_limited: Callable[[], None] = lambda: None) -> list[AsyncRetryHandler]:
    """Retry what Slack asks us to retry: 429 (after Retry-After), 500/503, dropped connections."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        CountedRateLimitRetry(on_rate_limited, max_retry_count=6),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def web_client(
    token: str | None, base_url: str, http: aiohttp.ClientSession | None = None,
    on_rate_limited: Callable[[], None] = lambda: None,
) -> AsyncWebClient:
    """The Web API client every Slack call goes through; `http` keeps connections alive between calls."""
    return AsyncWebClient(
        token=token, base_url=base_url, timeout=60, retry_handlers=retry_handlers(on_rate_limited), session=http
    )


def posting_client(client: AsyncWebClient) -> AsyncWebClient:
    """A client for posts into threads: it retries only 429, which Slack answers before doing anything.

    A 5xx or a dropped connection may come after Slack made the post; a blind retry would post it
    twice. Those failures go back to the core, which looks in the thread before trying again.
    """
    return AsyncWebClient(
        token=client.token, base_url=client.base_url, timeout=client.timeout, session=client.session,
        retry_handlers=[h for h in client.retry_handlers if isinstance(h, AsyncRateLimitErrorRetryHandler)],
    )
