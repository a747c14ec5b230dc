"""HTTP server settings (the Ray Serve app)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from pictag.config.base import ConfigModel


class ServerConfig(ConfigModel):
    """Where the dashboard and API listen, and who may use them."""

    host: str = Field(
        default="127.0.0.1", min_length=1, description="Bind address; anything but loopback needs auth_token."
    )
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port.")
    auth_token: SecretStr | None = Field(
        default=None, description="Bearer token required by every route but /api/v1/health."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call the API (closed by default)."
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, le=104_857_600, description="Larger request bodies are refused."
    )
