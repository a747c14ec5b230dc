"""``GET /api/v1/alerts``: the alerts open right now (issue 18 alert rules)."""

from __future__ import annotations

from typing import Any, cast

import ray
from fastapi import APIRouter, Depends

from pictag.actors import names
from pictag.actors.handles import IntegrationsHandle
from pictag.serve.schemas import jsonable
from pictag.serve.schemas.system import AlertItem, AlertList

router = APIRouter(tags=["alerts"])


def get_integrations() -> IntegrationsHandle | None:
    """The integrations actor, or None when neither MQTT, webhooks nor alert rules are configured."""
    try:
        return cast(IntegrationsHandle, ray.get_actor(names.INTEGRATIONS, namespace=names.NAMESPACE))
    except ValueError:
        return None


@router.get("/alerts", summary="Open alerts", response_model=AlertList)
async def open_alerts(integrations: IntegrationsHandle | None = Depends(get_integrations)) -> AlertList:
    """Alerts raised and not yet cleared (hysteresis: each raised alert clears exactly once)."""
    if integrations is None:
        return AlertList(items=[], rules=0)
    got: dict[str, Any] = await integrations.open_alerts.remote()
    return AlertList(items=[AlertItem.model_validate(jsonable(a)) for a in got["items"]], rules=int(got["rules"]))
