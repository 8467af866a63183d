"""What the consent question says, built from the settings in force, and whether an agreement covers them.

The words have a version (`CONSENT_VERSION`): a new version asks everyone again. So does a change
of what the words promise: a provider outside this server that the agreement did not name, or a
retention longer than the one agreed to. A shorter retention needs no new answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.consent.records import ConsentRecord, ShownTerms
from bot.i18n import t, tn

# Change it whenever the words below change in meaning; everyone is asked again.
CONSENT_VERSION = "2025-06-02"
# Quota charges outlive every window (a calendar month) by a day or so (`bot.retention.CHARGE_KEEP_SECONDS`).
USAGE_KEEP_DAYS = 32


@dataclass(frozen=True)
class RetentionInForce:
    """How long photos and results are kept where a person asks: the operator's settings, or a
    workspace's shorter ones."""

    photo_keep_hours: float
    result_days: float


@dataclass(frozen=True)
class ProviderReach:
    """A configured provider as the question names it: its label, and whether photos leave this server."""

    name: str
    label: str
    runs_here: bool


@dataclass(frozen=True)
class DataCommands:
    """How a person asks for their data or for its deletion on one surface ("/headshot my-data")."""

    export: str
    forget: str


@dataclass(frozen=True)
class ConsentTerms:
    """Everything the question's words depend on."""

    version: str
    providers: tuple[ProviderReach, ...]
    retention: RetentionInForce
    privacy_policy_url: str | None

    def covered_by(self, record: ConsentRecord | None) -> bool:
        """Whether an agreement holds for these terms: the same version, every provider outside this
        server named in it, and no retention longer than it promised."""
        if record is None or record.terms.version != self.version:
            return False
        agreed = record.terms
        outside = {p.name for p in self.providers if not p.runs_here}
        return (
            outside <= set(agreed.providers)
            and self.retention.photo_keep_hours <= agreed.photo_keep_hours
            and self.retention.result_days <= agreed.result_days
        )

    def shown(self, locale: str | None, commands: DataCommands) -> ShownTerms:
        """The terms as a question shows them, words included, ready to be stored with its answer."""
        return ShownTerms(
            version=self.version,
            providers=tuple(p.name for p in self.providers),
            photo_keep_hours=self.retention.photo_keep_hours,
            result_days=self.retention.result_days,
            wording=consent_text(locale, self, commands),
        )


def _hours(locale: str | None, hours: float) -> str:
    if float(hours).is_integer():
        return tn(locale, "1 hour", "{n} hours", int(hours))
    return t(locale, "{hours} hours", hours=f"{hours:g}")


def _days(locale: str | None, days: float) -> str:
    if float(days).is_integer():
        return tn(locale, "1 day", "{n} days", int(days))
    return t(locale, "{days} days", days=f"{days:g}")


def photos_kept(locale: str | None, hours: float) -> str:
    """How long photos stay, in words."""
    if hours <= 0:
        return t(locale, "deleted as soon as their headshots are delivered")
    return t(
        locale,
        "kept {span} after their headshots are delivered, so the buttons on them work, then deleted",
        span=_hours(locale, hours),
    )


def receivers(locale: str | None, providers: Sequence[ProviderReach]) -> str:
    """Who receives the photos, provider by provider."""
    parts = [
        t(locale, "{label} (built into this bot: your photos never leave this server)", label=p.label)
        if p.runs_here
        else t(locale, "{label} (a service outside this server, which receives your photos)", label=p.label)
        for p in providers
    ]
    return "; ".join(parts)


def consent_text(locale: str | None, terms: ConsentTerms, commands: DataCommands) -> str:
    """The question's words: what is kept, for how long, who receives the photos, what the bot does
    not do with them, how to get or delete everything, the privacy policy, the version."""
    retention = terms.retention
    outside = [p.label for p in terms.providers if not p.runs_here]
    lines = [
        t(
            locale,
            "Before I make headshots from your photos, please read how they are handled. "
            "Photos of faces can count as biometric data, so I ask once, before I fetch or keep anything.",
        ),
        "• "
        + t(
            locale,
            "What I keep: the photos you send, the headshots made from them, the options you choose "
            "and how many headshots you use.",
        ),
        "• "
        + t(
            locale,
            "For how long: photos are {photos} (a failed request's at once); headshots are kept "
            "{results} after delivery, then deleted. The record of each request (its options and "
            "outcome) and your saved settings stay until you delete them; usage counts stay "
            "{usage}, to apply any limits, even after you delete the rest.",
            photos=photos_kept(locale, retention.photo_keep_hours),
            results=_days(locale, retention.result_days),
            usage=_days(locale, USAGE_KEEP_DAYS),
        ),
        "• " + t(locale, "Who receives your photos: {receivers}.", receivers=receivers(locale, terms.providers)),
        "• "
        + t(
            locale,
            "This bot uses your photos only to make your headshots: it trains no models with them and "
            "sends them to no one but the provider that makes your headshots.",
        ),
    ]
    if outside:
        lines.append(
            "• "
            + t(
                locale,
                "What {names} do with the photos they receive is governed by their own terms, which this "
                "bot's operator does not control.",
                names=", ".join(outside),
            )
        )
    lines.append(
        "• "
        + t(
            locale,
            "Your data: {export} gives you a copy of everything; {forget} deletes it all at once.",
            export=f"`{commands.export}`",
            forget=f"`{commands.forget}`",
        )
    )
    if terms.privacy_policy_url:
        lines.append(t(locale, "Privacy policy: {url}", url=terms.privacy_policy_url))
    lines.append(t(locale, "(Consent text version {version}.)", version=terms.version))
    return "\n".join(lines)
