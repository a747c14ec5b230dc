"""HTTP server settings (the Ray Serve app)."""

from __future__ import annotations

import ipaddress

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
    session_max_age_h: float = Field(
        default=168.0,
        gt=0.0,
        le=8760.0,
        description="A dashboard login lasts this many hours; logout or a new auth_token ends it sooner.",
    )
    behind_tls_proxy: bool = Field(
        default=False,
        description="Browsers reach PicTag through an HTTPS reverse proxy: the login cookie is always Secure.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For/-Proto headers are believed."
        ),
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {item!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        return value

    @field_validator("auth_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # A short token can be guessed over the network despite the login lockout.
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"auth_token must have at least {MIN_TOKEN_LENGTH} characters (e.g. `openssl rand -hex 16`)"
            )
        return value
