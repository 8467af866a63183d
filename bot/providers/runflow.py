"""Runflow's asynchronous headshot pack: submit photos with a callback URL, get 60 URLs later."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.i18n import Phrase, phrase
from bot.photos import Photo
from bot.ports import GenerationInput, ProviderError, Submitted
from bot.providers import read_answer
from bot.request import Capabilities

log = logging.getLogger(__name__)

GENERATE_PATH = "/api/v1/images/generate-headshots"
SCORE_PATH = "/api/v1/images/score"
RAW_LIMIT = 20_000
MAX_ANSWER_BYTES = 256 * 1024  # a submission's answer is a few hundred bytes of JSON
POOR_SCORE = 0.6
_REFUSALS = {400, 401, 402, 403, 404, 409, 422}


class _AcceptedData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    headshots_id: str


class _Accepted(BaseModel):
    """`{"success": true, "data": {"headshots_id": UUID}}`."""

    model_config = ConfigDict(extra="ignore")

    success: bool
    data: _AcceptedData | None = None


class _Problem(BaseModel):
    """Runflow's error body: `{code, message, errors[]}`."""

    model_config = ConfigDict(extra="ignore")

    code: str | int | None = None
    message: str | None = None
    errors: list[Any] = []


class _Score(BaseModel):
    model_config = ConfigDict(extra="ignore")

    quality_score: float
    tips: list[str] = []


@dataclass(frozen=True)
class PhotoWarning:
    """A photo the quality check thinks is poor, with its advice."""

    index: int
    score: float
    tips: tuple[str, ...]

    def sentence(self) -> Phrase:
        """The warning as words for the user (the tips are Runflow's own, in English)."""
        values = {"number": self.index + 1, "score": f"{self.score:.2f}"}
        if self.tips:
            return phrase("Photo {number} looks poor for headshots (quality {score}): {tips}",
                          tips="; ".join(self.tips), **values)
        return phrase("Photo {number} looks poor for headshots (quality {score}).", **values)


class RunflowProvider:
    """Runflow: any number of photos in, a pack of 60 headshots delivered to our callback."""

    name = "runflow"
    capabilities = Capabilities(
        label="Runflow",
        description=phrase("Runflow — a pack of 60, 1-2 hours"),
        min_photos=1,
        max_photos=10,
        min_outputs=60,
        max_outputs=60,
        honours=frozenset(),
        expected_seconds=5400,
        asynchronous=True,
    )

    def __init__(
        self,
        api_key: str,
        base_url: str,
        session: aiohttp.ClientSession,
        *,
        retry_base_delay: float = 2.0,
        max_attempts: int = 3,
        timeout: float = 180.0,
    ) -> None:
        self._key = api_key
        self._base = base_url.rstrip("/")
        self._session = session
        self.retry_base_delay = retry_base_delay
        self.max_attempts = max_attempts
        self.timeout = timeout

    def wait_seconds(self) -> float:
        """Runflow documents no rate limit for submissions."""
        return 0.0

    async def generate(self, task: GenerationInput) -> Submitted:
        """Submit the photos; 5xx, 429 and connection failures are retried a few times."""
        if not task.callback_url:
            raise ProviderError(phrase("Runflow needs a callback address, and this job has none."))
        submitted = await self._submit_with_retries(task)
        warnings = await self.score(task.photos)
        return replace(submitted, notes=tuple(w.sentence() for w in warnings))

    async def _submit_with_retries(self, task: GenerationInput) -> Submitted:
        assert task.callback_url is not None
        last = "Runflow could not be reached"
        raw: str | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                status, text = await self._submit(task.photos, task.callback_url)
            except TimeoutError:
                last = f"Runflow did not answer within {self.timeout:.0f} s"
            except aiohttp.ClientError as exc:
                last = f"Runflow could not be reached ({type(exc).__name__})"
            else:
                raw = self._redact(text[:RAW_LIMIT])
                if status < 500 and status != 429:
                    return self._accepted(status, text, raw)
                last = f"Runflow is not answering properly right now (HTTP {status})"
            if attempt < self.max_attempts:
                log.info("runflow: attempt %d failed (%s); retrying", attempt, last)
                await asyncio.sleep(self.retry_base_delay * 2 ** (attempt - 1))
        raise ProviderError(f"{last}; the job will be tried again.", retryable=True, raw=raw)

    async def _submit(self, photos: Sequence[Photo], callback_url: str) -> tuple[int, str]:
        form = aiohttp.FormData()
        form.add_field("callback_url", callback_url)
        for n, photo in enumerate(photos, start=1):
            form.add_field("images", photo.data, filename=f"photo-{n}.jpg", content_type=photo.mime_type)
        async with self._session.post(
            self._base + GENERATE_PATH,
            data=form,
            headers={"x-api-key": self._key, "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            data = await read_answer(response, MAX_ANSWER_BYTES)
            if data is None:
                limit = MAX_ANSWER_BYTES // 1024
                raise ProviderError(
                    phrase("Runflow sent an answer larger than {limit} kB; it was not read.", limit=limit)
                )
            return response.status, data.decode("utf-8", errors="replace")

    def _accepted(self, status: int, text: str, raw: str) -> Submitted:
        if 200 <= status < 300:
            try:
                answer = _Accepted.model_validate_json(text)
            except ValidationError:
                raise ProviderError(phrase("Runflow sent an answer we could not read."), raw=raw) from None
            if answer.success and answer.data is not None and answer.data.headshots_id:
                log.info("runflow: submitted as %s", answer.data.headshots_id)
                return Submitted(remote_id=answer.data.headshots_id, raw=raw)
        message = self._redact(_problem(text))
        if status in (401, 403):
            raise ProviderError(phrase("Runflow refused the API key ({message}).", message=message), raw=raw)
        if status == 402:
            raise ProviderError(phrase("Runflow says the account is out of credits: {message}", message=message),
                                raw=raw)
        if status in _REFUSALS:
            raise ProviderError(
                phrase("Runflow refused the photos (HTTP {status}): {message}", status=status, message=message), raw=raw
            )
        raise ProviderError(phrase("Runflow did not accept the job: {message}", message=message), raw=raw)

    async def score(self, photos: Sequence[Photo]) -> list[PhotoWarning]:
        """Ask Runflow's quality check about each photo; warnings for the poor ones.

        The check is advisory: any failure of it yields no warning rather than an error.
        """
        warnings: list[PhotoWarning] = []
        for index, photo in enumerate(photos):
            form = aiohttp.FormData()
            form.add_field("image", photo.data, filename=f"photo-{index + 1}.jpg", content_type=photo.mime_type)
            try:
                async with self._session.post(
                    self._base + SCORE_PATH,
                    data=form,
                    headers={"x-api-key": self._key, "Accept": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    data = await read_answer(response, MAX_ANSWER_BYTES) if response.status == 200 else None
                if data is None:
                    continue
                score = _score(json.loads(data))
            except (aiohttp.ClientError, TimeoutError, ValueError, RecursionError):
                continue
            if score is not None and score.quality_score < POOR_SCORE:
                warnings.append(PhotoWarning(index, score.quality_score, tuple(score.tips)))
        return warnings

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "[redacted]") if self._key else text


def _problem(text: str) -> str:
    """Runflow's own words about a refusal, short."""
    try:
        problem = _Problem.model_validate_json(text)
    except ValidationError:
        return " ".join(text.split())[:300] or "no reason given"
    details = [
        str(e.get("message") or e) if isinstance(e, dict) else str(e) for e in problem.errors[:3]
    ]
    words = problem.message or (str(problem.code) if problem.code is not None else "")
    if details:
        words = f"{words} ({'; '.join(details)})" if words else "; ".join(details)
    return words[:300] or "no reason given"


def _score(body: Any) -> _Score | None:
    """The score in an answer, at the top level or under `data`."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    try:
        return _Score.model_validate(body)
    except ValidationError:
        return None
