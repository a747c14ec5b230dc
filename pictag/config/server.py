"""HTTP server settings (the Ray Serve app)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from pictag.config.base import ConfigModel

MIN_TOKEN_LENGTH = 16


class ServerConfig(ConfigModel):
    """Where the dashboard and API listen, and who may use them."""

    host: str = Field(
        default="127.0.0.1", min_length=1, description="Bind address; anything but loopback needs auth_token."
    )
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port.")
    auth_token: SecretStr | None = Field(
        default=None, description="Bearer token required by every route but /api/v1/health (at least 16 characters)."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call the API (closed by default)."
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, le=104_857_600, description="Larger request bodies are refused."
    )

    @field_validator("auth_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # A short token can be guessed over the network despite the login lockout.
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(f"auth_token must have at least {MIN_TOKEN_LENGTH} characters (e.g. `openssl rand -hex 16`)")
        return value
