"""Local store settings (one DuckDB file)."""

from __future__ import annotations

from pydantic import Field

from pictag.config.base import ConfigModel


class StorageConfig(ConfigModel):
    """Where and how the DuckDB store keeps data."""

    path: str = Field(
        default="data/pictag.duckdb",
        min_length=1,
        description="DuckDB file (relative paths start at the config file's folder).",
    )
    batch_size: int = Field(default=256, ge=1, le=100_000, description="Rows buffered before a write.")
    flush_interval_s: float = Field(
        default=1.0, gt=0.0, le=60.0, description="Buffered rows are written at least this often."
    )
    memory_limit_mb: int = Field(
        default=256,
        ge=64,
        le=65_536,
        description=(
            "DuckDB's buffer cache limit in MiB. DuckDB keeps pages it has read up to this limit, so a"
            " larger value makes long report queries faster and the store process bigger."
        ),
    )
    cache_release_s: float = Field(
        default=60.0,
        ge=0.0,
        le=86_400.0,
        description=(
            "Every this many seconds the store hands DuckDB's cache of blocks already in the file back to"
            " the system (0: never). DuckDB otherwise keeps them up to memory_limit_mb."
        ),
    )
    reopen_interval_s: float = Field(
        default=300.0,
        ge=0.0,
        le=86_400.0,
        description=(
            "Every this many seconds the store writes what is pending, closes DuckDB and opens the file again"
            " (0: never; ~50 ms). DuckDB keeps bookkeeping of every temporary buffer it has released until"
            " tens of thousands pile up (~24 MiB); only a new instance hands that memory back."
        ),
    )
    persist_track_updates: bool = Field(
        default=False,
        description=(
            "Also store every throttled track.updated event (one a second per person). Off: they reach the"
            " dashboard and integrations live and the track's row keeps its latest state, so the file holds"
            " no second-by-second path of anyone."
        ),
    )
    encryption_key_env: str | None = Field(
        default=None, description="Environment variable holding the database encryption key."
    )
    encryption_key_file: str | None = Field(default=None, description="File holding the database encryption key.")
