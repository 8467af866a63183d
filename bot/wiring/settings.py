"""Configuration: read once at start-up from the environment (or a `.env` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, SkipValidation, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import PydanticBaseEnvSettingsSource

from bot.quotas import QuotaPolicy
from bot.wiring.provider_table import ProviderSettings, provider_names

QUOTA_PREFIX = "QUOTA_"


class QuotaVariables(PydanticBaseSettingsSource):
    """Every `QUOTA_*` variable of the environment and `.env` (names not known in advance), as one field."""

    def __init__(self, settings_cls: type[BaseSettings], *sources: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._sources = [s for s in sources if isinstance(s, PydanticBaseEnvSettingsSource)]

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str | None] = {}
        for source in self._sources:  # the later ones (the environment) win
            env_vars: dict[str, str | None] = getattr(source, "env_vars", {})
            found.update({k.upper(): v for k, v in env_vars.items() if k.upper().startswith(QUOTA_PREFIX)})
        return {"quotas": found} if found else {}

MIN_SECRET_KEY_LENGTH = 32
_SQLITE_PREFIXES = ("sqlite+aiosqlite:///", "sqlite:///")
_POSTGRES_PREFIXES = ("postgresql://", "postgres://")


class Settings(BaseSettings):
    """Every setting of the contract, plus a few operational knobs with safe defaults."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    port: int = 8080
    public_base_url: str | None = None
    # Linked from the consent question when set: the operator's published privacy and retention policy.
    privacy_policy_url: str | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base_url: str = "https://slack.com/api/"
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_oauth_base_url: str = "https://slack.com/oauth/v2/authorize"
    secret_key: SecretStr | None = None

    discord_token: SecretStr | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_guild_ids: str | None = None

    agentai_api_key: SecretStr | None = None
    agentai_base_url: str = "https://api-lr.agent.ai"
    runflow_api_key: SecretStr | None = None
    runflow_base_url: str = "https://api.runflow.io"
    default_provider: str | None = None

    allow_private_urls: bool = False

    max_photo_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    job_concurrency: int = Field(default=4, ge=1)
    # `serve`'s event loops: uvloop's when the `uvloop` extra is installed ("auto"), or asyncio's.
    event_loop: Literal["auto", "asyncio"] = "auto"
    # A replica's claim on a job; a replica that dies loses its jobs to the others after this long.
    job_lease_s: float = Field(default=30, gt=0)
    max_jobs_per_user: int = Field(default=2, ge=1)
    runflow_callback_timeout_s: float = Field(default=6 * 3600, gt=0)
    result_retention_days: float = Field(default=30, gt=0)
    photo_keep_hours: float = Field(default=24, ge=0)
    metrics_token: SecretStr | None = None
    log_format: Literal["text", "json"] = "text"
    # Read from the QUOTA_<PROVIDER>_PER_<USER|WORKSPACE>_PER_<DAY|MONTH> variables.
    quotas: Annotated[QuotaPolicy, SkipValidation] = QuotaPolicy()
    # Test hook: kill the process at a named point of the job engine ("point" or "point:N").
    fault_point: str | None = Field(default=None, validation_alias="HEADSHOT_FAULT_POINT")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        quota_variables = QuotaVariables(settings_cls, dotenv_settings, env_settings)
        return init_settings, quota_variables, env_settings, dotenv_settings, file_secret_settings

    @field_validator("quotas", mode="before")
    @classmethod
    def _read_quotas(cls, value: object) -> object:
        if isinstance(value, dict):
            return QuotaPolicy.from_variables(value, provider_names())
        if not isinstance(value, QuotaPolicy):
            raise TypeError("quotas must be QUOTA_* variables or a QuotaPolicy")
        return value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_secret",
        "secret_key",
        "discord_token",
        "agentai_api_key",
        "runflow_api_key",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "public_base_url", "database_url", "slack_client_id", "discord_guild_ids", "default_provider",
        "privacy_policy_url", mode="before",
    )
    @classmethod
    def _blank_text_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_SQLITE_PREFIXES + _POSTGRES_PREFIXES):
            raise ValueError("must be sqlite:///path or postgresql://user:password@host:port/dbname")
        return value

    @property
    def postgres_url(self) -> str | None:
        """DATABASE_URL when it names a PostgreSQL database (then everything is stored there)."""
        url = self.database_url
        return url if url is not None and url.startswith(_POSTGRES_PREFIXES) else None

    @property
    def database_path(self) -> Path:
        """The SQLite file named by DATABASE_URL, or the default one under DATA_DIR."""
        url = self.database_url
        for prefix in _SQLITE_PREFIXES:
            if url is not None and url.startswith(prefix):
                return Path(url[len(prefix):])
        return self.data_dir / "headshot-bot.db"

    @property
    def provider_settings(self) -> ProviderSettings:
        """What the providers are built from (`bot.wiring.provider_table`)."""
        return ProviderSettings(
            agentai_api_key=self.agentai_api_key,
            agentai_base_url=self.agentai_base_url,
            runflow_api_key=self.runflow_api_key,
            runflow_base_url=self.runflow_base_url,
            public_base_url=self.public_base_url,
        )

    @property
    def guild_ids(self) -> list[int]:
        """DISCORD_GUILD_IDS as integers."""
        if not self.discord_guild_ids:
            return []
        return [int(part) for part in self.discord_guild_ids.split(",") if part.strip()]

    @property
    def slack_enabled(self) -> bool:
        """Slack runs with a bot token and a signing secret or an app token, or in OAuth mode."""
        single = self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )
        return single or self.slack_oauth

    @property
    def slack_oauth(self) -> bool:
        """Slack for many workspaces: client id, client secret and signing secret, and no bot token."""
        return (
            self.slack_bot_token is None
            and self.slack_client_id is not None
            and self.slack_client_secret is not None
            and self.slack_signing_secret is not None
        )

    def secret_key_problem(self) -> str | None:
        """Why SECRET_KEY cannot protect stored installations, when OAuth mode needs it; else None."""
        if not self.slack_oauth:
            return None
        if self.secret_key is None:
            return (
                "SECRET_KEY is not set: Slack OAuth (SLACK_CLIENT_ID) stores each workspace's tokens encrypted "
                f"with a key derived from it; set it to at least {MIN_SECRET_KEY_LENGTH} random characters"
            )
        length = len(self.secret_key.get_secret_value())
        if length < MIN_SECRET_KEY_LENGTH:
            return f"SECRET_KEY is too short ({length} characters); use at least {MIN_SECRET_KEY_LENGTH} random ones"
        return None

    def slack_photo_missing(self) -> list[str]:
        """What "Set as my Slack photo" still needs (each person's own token, from Slack's OAuth with a
        user scope): the variables not set, or SECRET_KEY's problem; empty when it can run."""
        missing = [name for name, value in (
            ("SLACK_CLIENT_ID", self.slack_client_id), ("SLACK_CLIENT_SECRET", self.slack_client_secret),
            ("PUBLIC_BASE_URL", self.public_base_url),
        ) if value is None]
        if self.secret_key is None:
            missing.append("SECRET_KEY")
        elif len(self.secret_key.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            missing.append(f"a SECRET_KEY of at least {MIN_SECRET_KEY_LENGTH} characters")
        return missing

    @property
    def slack_photos(self) -> bool:
        """Whether Slack runs with "Set as my Slack photo" (client id and secret, SECRET_KEY, a public URL)."""
        return self.slack_enabled and not self.slack_photo_missing()

    def secrets(self) -> list[str]:
        """Every configured secret value, for redaction."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.slack_client_secret,
            self.secret_key,
            self.discord_token,
            self.agentai_api_key,
            self.runflow_api_key,
            self.metrics_token,
        ]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        password = urlsplit(self.postgres_url).password if self.postgres_url else None
        return [*found, password] if password else found
