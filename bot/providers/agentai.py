"""agent.ai's synchronous headshot action: one JSON request, the images in its answer."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Mapping

import aiohttp
from pydantic import ValidationError

from bot.downloads import Downloader, DownloadError, sniff_image
from bot.i18n import phrase
from bot.options import Quality
from bot.ports import Generated, GenerationInput, ProviderError, ResultImage
from bot.providers import read_answer
from bot.providers.agentai_answer import OUTPUT_VARIABLE, Answer, failure_message, header_seconds, parse_images
from bot.providers.ratelimit import AGENTAI_LIMITS, CallLimiter
from bot.request import Capabilities

log = logging.getLogger(__name__)

ACTION_PATH = "/v1/action/instant_headshot_run_headshot_generation"
MAX_PHOTOS = 3
RAW_LIMIT = 20_000
MAX_RESULT_BYTES = 25 * 1024 * 1024
# An answer carries at most `count` images, inline as base64 (4 characters per 3 bytes) or as links.
ANSWER_BYTES_PER_IMAGE = 16 * 1024 * 1024
ANSWER_BYTES_BASE = 1024 * 1024
SECONDS_PER_IMAGE = {Quality.STANDARD: 15.0, Quality.HIGH: 30.0}


class _Retry(Exception):
    """A failure worth another attempt after `delay` seconds."""

    def __init__(self, message: str, delay: float | None, raw: str | None = None) -> None:
        super().__init__(message)
        self.delay = delay
        self.raw = raw


class AgentAIProvider:
    """agent.ai: 1-3 photos in, 1-4 styled headshots back in one (long) request."""

    name = "agentai"
    capabilities = Capabilities(
        label="agent.ai",
        description=phrase("agent.ai — 1-4 styled headshots in about a minute"),
        min_photos=1,
        max_photos=MAX_PHOTOS,
        min_outputs=1,
        max_outputs=4,
        honours=frozenset({"style", "background", "attire", "count", "quality", "aspect_ratio", "prompt"}),
        expected_seconds=60,
    )

    def __init__(
        self,
        api_key: str,
        base_url: str,
        session: aiohttp.ClientSession,
        downloader: Downloader | None = None,
        limiter: CallLimiter | None = None,
        *,
        timeout_factor: float = 1.0,
        retry_base_delay: float = 2.0,
        max_attempts: int = 3,
        max_inline_wait: float = 60.0,
    ) -> None:
        self._key = api_key
        self._url = base_url.rstrip("/") + ACTION_PATH
        self._session = session
        self._downloader = downloader
        self.limiter = limiter or CallLimiter(self.name, AGENTAI_LIMITS)
        self.timeout_factor = timeout_factor
        self.retry_base_delay = retry_base_delay
        self.max_attempts = max_attempts
        self.max_inline_wait = max_inline_wait

    def wait_seconds(self) -> float:
        """Seconds until our side of agent.ai's rate limits allows a call."""
        return self.limiter.wait_seconds()

    def timeout_for(self, task: GenerationInput) -> float:
        """How long one request may take: it grows with the count and the quality."""
        per_image = SECONDS_PER_IMAGE[task.options.quality]
        return (60.0 + 2 * per_image * task.options.count) * self.timeout_factor

    def request_body(self, task: GenerationInput) -> dict[str, str]:
        """The JSON body of the action, in the documented (string-typed) format."""
        if len(task.photos) > MAX_PHOTOS:
            raise ProviderError(phrase(
                "agent.ai takes at most {limit} photos; this job has {count}.", limit=MAX_PHOTOS, count=len(task.photos)
            ))
        photos = [{"base64": base64.b64encode(p.data).decode("ascii"), "mimeType": p.mime_type} for p in task.photos]
        opts = task.options
        body = {
            "photos_json": json.dumps(photos),
            "style": opts.style.value,
            "background": opts.background.value,
            "attire": opts.attire.value,
            "output_variable_name": OUTPUT_VARIABLE,
            "count": str(opts.count),
            "quality": opts.quality.value,
            "aspect_ratio": opts.aspect_ratio.value,
        }
        if opts.prompt.strip():
            body["custom_prompt"] = opts.prompt.strip()
        return body

    @staticmethod
    def answer_limit(task: GenerationInput) -> int:
        """The largest answer read for a task: room for `count` images and the envelope."""
        return ANSWER_BYTES_BASE + ANSWER_BYTES_PER_IMAGE * task.options.count

    async def generate(self, task: GenerationInput) -> Generated:
        """Run the action; quick failures (429 with a short pause, 5xx) are retried here."""
        body = self.request_body(task)
        timeout = self.timeout_for(task)
        limit = self.answer_limit(task)
        attempt = 0
        for _turn in range(self.max_attempts * 4):
            wait = await self.limiter.acquire()
            if wait > 0:
                if wait > self.max_inline_wait:
                    raise ProviderError(
                        f"agent.ai's rate limit is reached; trying again in {wait:.0f} s.",
                        retryable=True,
                        retry_after=wait,
                    )
                await asyncio.sleep(wait)
                continue
            attempt += 1
            try:
                generated = await self._call(body, timeout, limit)
            except _Retry as retry:
                delay = retry.delay if retry.delay is not None else self.retry_base_delay * 2 ** (attempt - 1)
                if attempt >= self.max_attempts or delay > self.max_inline_wait:
                    raise ProviderError(
                        f"{retry}; the job will be tried again.",
                        retryable=True,
                        retry_after=retry.delay,
                        raw=retry.raw,
                    ) from None
                log.info("agent.ai: attempt %d failed (%s); retrying in %.1f s", attempt, retry, delay)
                await asyncio.sleep(delay)
                continue
            wanted = task.options.count
            if len(generated.images) > wanted:
                log.warning("agent.ai: run %s sent %d images for %d; the rest are ignored",
                            generated.remote_id, len(generated.images), wanted)
            images = await self._download_url_results(generated.images[:wanted], generated.raw)
            return Generated(images=images, remote_id=generated.remote_id, raw=generated.raw)
        raise ProviderError("agent.ai stayed busy; the job will be tried again.", retryable=True)

    async def _download_url_results(self, images: list[ResultImage], raw: str | None) -> list[ResultImage]:
        """Download URL results now: a failed download then costs one image, not a new generation."""
        if self._downloader is None or all(image.url is None for image in images):
            return images
        outcomes = await asyncio.gather(*(self._fetch(image) for image in images))
        kept = [image for image in outcomes if isinstance(image, ResultImage)]
        problems = [problem for problem in outcomes if isinstance(problem, DownloadError)]
        for problem in problems:
            log.warning("agent.ai: a result image was not downloaded: %s", problem)
        if not kept:
            retryable = any(problem.retryable for problem in problems)
            raise ProviderError(
                phrase("agent.ai made the headshots, but they could not be downloaded: {why}", why=problems[0].message),
                retryable=retryable,
                raw=raw,
            )
        return kept

    async def _fetch(self, image: ResultImage) -> ResultImage | DownloadError:
        if image.url is None or self._downloader is None:
            return image
        try:
            data = await self._downloader.fetch(image.url, max_bytes=MAX_RESULT_BYTES)
        except DownloadError as exc:
            return exc
        mime = sniff_image(data[:16])
        if mime is None:
            return DownloadError(phrase("one of the result links did not lead to an image"))
        return ResultImage(data=data, mime_type=mime)

    async def _call(self, body: dict[str, str], limit_s: float, max_bytes: int) -> Generated:
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        try:
            async with self._session.post(
                self._url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=limit_s)
            ) as response:
                status = response.status
                headers_in = response.headers
                self._note_limits(headers_in)
                data = await read_answer(response, max_bytes)
        except TimeoutError:
            raise ProviderError(
                f"agent.ai did not answer within {limit_s:.3g} s.", retryable=True
            ) from None
        except aiohttp.ClientError as exc:
            raise _Retry(f"agent.ai could not be reached ({type(exc).__name__})", None) from None
        if data is None:
            raise ProviderError(phrase(
                "agent.ai sent an answer larger than {size} MB, more than the images asked for can take; "
                "it was not read.", size=max_bytes // 1_048_576,
            ))
        text = data.decode("utf-8", errors="replace")
        raw = self._redact(text[:RAW_LIMIT])
        self._raise_for_status(status, text, raw, headers_in)
        try:
            answer = Answer.model_validate_json(text)
        except ValidationError:
            raise ProviderError(phrase("agent.ai sent an answer we could not read."), raw=raw) from None
        if answer.status is not None and answer.status >= 400:
            self._raise_for_status(answer.status, json.dumps(answer.response), raw, headers_in)
        images, run_id = parse_images(answer.response)
        if not images:
            raise ProviderError(phrase("agent.ai answered without any images."), raw=raw)
        log.info("agent.ai: run %s gave %d images", run_id, len(images))
        return Generated(images=images, remote_id=run_id, raw=raw)

    def _raise_for_status(self, status: int, text: str, raw: str, headers: Mapping[str, str]) -> None:
        if 200 <= status < 300:
            return
        message = self._redact(failure_message(text))
        retry_after = header_seconds(headers.get("retry-after"))
        if status == 429:
            pause = retry_after if retry_after is not None else header_seconds(headers.get("ratelimit-reset"))
            raise _Retry("agent.ai's rate limit is reached", pause, raw)
        if status >= 500:
            raise _Retry(f"agent.ai is not answering properly right now (HTTP {status})", retry_after, raw)
        if status in (401, 403):
            raise ProviderError(phrase("agent.ai refused the API key ({message}).", message=message), raw=raw)
        if status == 402:
            raise ProviderError(phrase("agent.ai says the account is out of credits: {message}", message=message),
                                raw=raw)
        raise ProviderError(
            phrase("agent.ai refused the request (HTTP {status}): {message}", status=status, message=message), raw=raw
        )

    def _note_limits(self, headers: Mapping[str, str]) -> None:
        if headers.get("ratelimit-remaining", "").strip() == "0":
            reset = header_seconds(headers.get("ratelimit-reset"))
            self.limiter.block_until(time.time() + (reset if reset is not None else 60.0))

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "[redacted]") if self._key else text

