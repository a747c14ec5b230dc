"""The local DuckDB store: schema migrations, batched writes, queries, privacy maintenance.

One process owns the file (the StoreActor); everything else talks to it. Start
with `Store.open`; docs/storage.md describes the schema, the secrets file and
key handling.
"""

from pictag.storage.camera_secrets import CameraSecrets, secrets_path_for
from pictag.storage.crypto import encrypt_copy, encryption_available, resolve_key
from pictag.storage.records import (
    CameraRecord,
    EventRecord,
    Gallery,
    HourCount,
    IdentityDetail,
    IdentityRecord,
    StoredCamera,
    StoreStats,
    TrackRecord,
    VisitRecord,
    WriteCounters,
)
from pictag.storage.schema import DEFAULT_EMBEDDING_DIM, SCHEMA_VERSION
from pictag.storage.store import Store

__all__ = [
    "DEFAULT_EMBEDDING_DIM",
    "SCHEMA_VERSION",
    "CameraRecord",
    "CameraSecrets",
    "EventRecord",
    "Gallery",
    "HourCount",
    "IdentityDetail",
    "IdentityRecord",
    "Store",
    "StoreStats",
    "StoredCamera",
    "TrackRecord",
    "VisitRecord",
    "WriteCounters",
    "encrypt_copy",
    "encryption_available",
    "resolve_key",
    "secrets_path_for",
]
