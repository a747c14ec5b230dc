"""Dashboard login sessions: a random id per login, kept server-side (hashed), revocable.

The login cookie holds a random session id (256 bits). The server stores only
``sha256(id)``, so whoever reads the database cannot forge a cookie, plus
``HMAC(token, id)``: a session is valid only under the access token it was opened
with, so changing ``server.auth_token`` ends every session of the old token
without storing anything derived from the token alone (nothing to guess the token
from offline). Logout deletes the row: the old cookie is refused at once.

Sessions live in the store (`pictag.storage.sessions`, one DuckDB table) so they
survive a restart of the API replica or of the runtime. Checks are cached for a few
seconds per replica so the dashboard's many requests do not each reach the store;
a logout evicts the entry at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pictag.errors import PictagError, StorageError
from pictag.storage import Store
from pictag.storage.sessions import SessionRecord

#: Random bytes of a session id (``secrets.token_urlsafe`` → 43 characters).
SESSION_ID_BYTES = 32
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: How long a replica trusts a checked session before asking the store again.
CACHE_S = 5.0
MAX_CACHED = 1024
_MAC_CONTEXT = b"pictag-session-v2:"

T = TypeVar("T")


class SessionStoreUnavailable(PictagError):
    """The session store cannot be reached now (it is restarting): answer 503, retry shortly."""


class SessionStore(Protocol):
    """Where sessions are kept: the store actor in the runtime, an open `Store` in tests."""

    async def add(self, record: SessionRecord) -> None:
        """Persist a new session (raises `SessionStoreUnavailable` when unreachable)."""

    async def get(self, id_hash: str) -> SessionRecord | None:
        """The unexpired session with this id hash, if any."""

    async def delete(self, id_hash: str) -> bool:
        """Revoke a session; True if it existed."""


def id_hash(session_id: str) -> str:
    """What the store keeps instead of the session id."""
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def token_mac(token: str, session_id: str) -> str:
    """Binds a session to the token it was opened with (checkable only with the session id)."""
    return hmac.new(token.encode("utf-8"), _MAC_CONTEXT + session_id.encode("ascii"), hashlib.sha256).hexdigest()


def well_formed(session_id: str) -> bool:
    """True for strings shaped like our session ids (others are refused without a lookup)."""
    return bool(_SESSION_ID.fullmatch(session_id))


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the id for the cookie and its lifetime."""

    session_id: str
    max_age_s: int


class SessionManager:
    """Opens, checks and closes sessions for one configured token."""

    def __init__(
        self,
        token: str,
        store: SessionStore,
        max_age_s: float,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token
        self._store = store
        self.max_age_s = int(max_age_s)
        self._clock = clock
        self._monotonic = monotonic
        #: id hash → (expires_at, when it was checked, monotonic)
        self._valid: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def open(self) -> NewSession:
        """Create and persist a session for a login with the right token."""
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        now = self._clock()
        record = SessionRecord(id_hash(session_id), token_mac(self._token, session_id), now, now + self.max_age_s)
        await self._store.add(record)
        return NewSession(session_id, self.max_age_s)

    async def check(self, session_id: str) -> bool:
        """True when ``session_id`` names a live session of the current token.

        Raises:
            SessionStoreUnavailable: the store cannot be asked now.
        """
        if not well_formed(session_id):
            return False
        key = id_hash(session_id)
        cached = self._valid.get(key)
        if cached is not None and self._monotonic() - cached[1] < CACHE_S and cached[0] > self._clock():
            return True
        record = await self._store.get(key)
        if record is None or record.expires_at <= self._clock():
            self._valid.pop(key, None)
            return False
        if not hmac.compare_digest(record.token_mac, token_mac(self._token, session_id)):
            # A session of another (old) token: it can never be valid again, so remove it.
            self._valid.pop(key, None)
            await self._store.delete(key)
            return False
        self._remember(key, record.expires_at)
        return True

    async def close(self, session_id: str) -> bool:
        """Revoke a session (logout); True if it existed.

        Raises:
            SessionStoreUnavailable: the store cannot be asked now (the session is still live).
        """
        if not well_formed(session_id):
            return False
        key = id_hash(session_id)
        self._valid.pop(key, None)
        return await self._store.delete(key)

    def _remember(self, key: str, expires_at: float) -> None:
        self._valid[key] = (expires_at, self._monotonic())
        self._valid.move_to_end(key)
        while len(self._valid) > MAX_CACHED:
            self._valid.popitem(last=False)


class LocalSessionStore:
    """Sessions in an open `pictag.storage.Store` of this process (tests, single-process use).

    The store's calls are short and synchronous; they run in a worker thread so an
    event loop is never blocked by DuckDB. A store that fails (closed, disk error)
    is reported as unavailable, like the store actor while it restarts.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    async def _call(self, method: Callable[..., T], *args: object) -> T:
        try:
            return await asyncio.to_thread(method, *args)
        except StorageError as err:
            raise SessionStoreUnavailable(f"session store unavailable ({err})") from None

    async def add(self, record: SessionRecord) -> None:
        """Persist a new session."""
        await self._call(self._store.add_session, record)

    async def get(self, id_hash: str) -> SessionRecord | None:
        """The unexpired session with this id hash, if any."""
        return await self._call(self._store.get_session, id_hash)

    async def delete(self, id_hash: str) -> bool:
        """Revoke a session; True if it existed."""
        return await self._call(self._store.delete_session, id_hash)
