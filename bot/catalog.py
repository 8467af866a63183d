"""The providers this bot runs, as the core offers them: by name, the default first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.i18n import phrase
from bot.ports import Provider
from bot.request import Capabilities, Field, Problem


@dataclass(frozen=True)
class ProviderChoice:
    """A provider as offered to users; `left` says what remains of its tightest limit ("3 left today")."""

    name: str
    capabilities: Capabilities
    left: str = ""


class ProviderCatalog:
    """The configured providers and which one a request gets when it names none."""

    def __init__(self, providers: Mapping[str, Provider], default: str) -> None:
        self._providers = providers
        self.default = default

    def get(self, name: str) -> Provider | None:
        """The provider called `name`, if it is configured."""
        return self._providers.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def names(self) -> list[str]:
        """Every configured provider's name."""
        return list(self._providers)

    def capabilities(self, name: str) -> Capabilities | None:
        """A configured provider's capabilities."""
        found = self._providers.get(name)
        return found.capabilities if found else None

    def label(self, name: str) -> str:
        """A provider's name as users read it (its own name when it is not configured)."""
        found = self._providers.get(name)
        return found.capabilities.label if found else name

    @property
    def choices(self) -> list[ProviderChoice]:
        """The configured providers, the default first."""
        names = sorted(self._providers, key=lambda n: (n != self.default, n))
        return [ProviderChoice(n, self._providers[n].capabilities) for n in names]

    def unknown(self, name: str) -> Problem:
        """The problem of asking for a provider this bot does not run."""
        return Problem(Field.PROVIDER, phrase(
            "“{name}” is not available on this bot; choose one of: {providers}.",
            name=name, providers=", ".join(self._providers),
        ))
