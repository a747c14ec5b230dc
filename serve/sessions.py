"""Login sessions kept by the store actor: what a Serve replica uses (see `pictag.sessions`).

Why the store and not a session actor of its own: the sessions must outlive a Serve
replica (and a whole restart), the store already persists and, when configured,
encrypts everything on the head node, and one more actor would cost ~50 MiB on a
small PC. A store restart makes session checks answer 503 for its duration; replicas
cache checked sessions for a few seconds, so most requests do not notice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pictag.serve.services import get_services
from pictag.sessions import SessionStoreUnavailable
from pictag.storage.sessions import SessionRecord

log = logging.getLogger(__name__)

#: A session call that takes longer is treated as the store being unavailable.
CALL_TIMEOUT_S = 5.0


class StoreActorSessions:
    """`pictag.sessions.SessionStore` over the named store actor (looked up on first use)."""

    async def _call(self, method: str, *args: Any) -> Any:
        try:
            store = get_services().store
            return await asyncio.wait_for(getattr(store, method).remote(*args), CALL_TIMEOUT_S)
        except Exception as err:  # actor died/restarting, lookup failed, timeout: all mean "not now"
            log.warning("session store unavailable (%s): %s", method, type(err).__name__)
            raise SessionStoreUnavailable(f"session store unavailable ({type(err).__name__})") from None

    async def add(self, record: SessionRecord) -> None:
        """Persist a new session."""
        await self._call("session_add", record)

    async def get(self, id_hash: str) -> SessionRecord | None:
        """The unexpired session with this id hash, if any."""
        result = await self._call("session_get", id_hash)
        return result if isinstance(result, SessionRecord) else None

    async def delete(self, id_hash: str) -> bool:
        """Revoke a session; True if it existed."""
        return bool(await self._call("session_delete", id_hash))
