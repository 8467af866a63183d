"""Set as my Slack photo: a delivered headshot, cropped square around the face, through `users.setPhoto`.

The call needs the person's own user token (`users.profile:write`); the first time there is none,
and the answer is the link that asks them for it (`adapters.slack.user_auth`). A token Slack no
longer accepts is deleted and the link offered again. Slack's refusals become sentences.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from PIL import Image
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.user_auth import SlackUserAuth
from adapters.slack.user_tokens import SlackUserTokens
from bot.i18n import t
from bot.picks import HeadshotPicks, Picked

log = logging.getLogger(__name__)

# A token Slack does not take (any more): it is deleted, and the person asked again.
TOKEN_GONE = {"invalid_auth", "token_revoked", "not_authed", "account_inactive", "token_expired", "missing_scope"}


@dataclass(frozen=True)
class PrivateReply:
    """What the person who pressed is told (ephemeral): a sentence, and Block Kit to show with it."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


class SlackProfilePhotos:
    """Sets people's Slack photos with their own tokens; one call per press."""

    def __init__(
        self, tokens: SlackUserTokens, auth: SlackUserAuth, api_base_url: str, http: aiohttp.ClientSession
    ) -> None:
        self._tokens = tokens
        self._auth = auth
        self._api_base_url = api_base_url
        self._http = http

    def ask(self, team: str, locale: str | None, again: bool = False) -> PrivateReply:
        """The answer that asks for permission: a sentence and a link to the flow."""
        link = self._auth.link(team)
        if again:
            text = t(locale, "Slack no longer accepts the permission you gave me to change your photo. "
                             "<{link}|Allow it again>, then press the button once more.", link=link)
        else:
            text = t(locale, "To set your Slack photo I need your permission once: <{link}|allow Headshots to "
                             "change your profile photo>, then press the button again.", link=link)
        return PrivateReply(text)

    async def set_photo(
        self, picks: HeadshotPicks, picked: Picked, team: str, user: str, locale: str | None
    ) -> PrivateReply:
        """Make the picked headshot the person's Slack photo, or say why not."""
        token = await self._tokens.token(team, user)
        if token is None:
            return self.ask(team, locale)
        square = await picks.profile_square(picked)
        side = Image.open(io.BytesIO(square)).width  # the header alone is read
        # No retries: the image's stream is read once, and a 429 is worth a sentence, not a wait.
        client = AsyncWebClient(token=token, base_url=self._api_base_url, session=self._http, timeout=60)
        try:
            await client.users_setPhoto(image=io.BytesIO(square), crop_x="0", crop_y="0", crop_w=str(side))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in TOKEN_GONE:
                await self._tokens.forget(team, user)
                log.info("a user token of workspace %s was refused (%s); it is deleted", team, error)
                return self.ask(team, locale, again=True)
            log.warning("users.setPhoto refused a headshot: %s", error)
            return PrivateReply(_refusal(error, locale))
        log.info("set a Slack photo in workspace %s", team)
        return await self._done(picks, picked, locale)

    async def _done(self, picks: HeadshotPicks, picked: Picked, locale: str | None) -> PrivateReply:
        text = t(locale, "✅ Your Slack photo is now headshot #{number}, cropped square around your face.",
                 number=picked.number)
        link = await picks.gallery_link(picked)
        if link is None:
            return PrivateReply(text)
        alt = t(locale, "Your new Slack photo: headshot #{number}", number=picked.number)
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "image", "image_url": link, "alt_text": alt},
        ]
        return PrivateReply(text, blocks)


def _refusal(error: str, locale: str | None) -> str:
    """Slack's refusal of a photo as a sentence."""
    if error == "too_large":
        return t(locale, "Slack found that headshot too large for a profile photo.")
    if error == "bad_image":
        return t(locale, "Slack could not read that headshot as a profile photo.")
    if error in ("ratelimited", "429"):
        return t(locale, "Slack is busy right now; please try again in a minute.")
    return t(locale, "Slack did not set your photo (it answered “{error}”); please try again later.", error=error)
