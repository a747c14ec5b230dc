"""``GET /api/v1/alerts``: the alerts open right now (issue 18 alert rules)."""

from __future__ import annotations

from typing import Any

import ray
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pictag.actors import names
from pictag.serve.schemas import jsonable

router = APIRouter(tags=["alerts"])


class AlertItem(BaseModel):
    """One open alert (the fields of its ``alert.raised`` event)."""

    alert_id: str = Field(description="Unique id of this occurrence; its alert.cleared event carries the same.")
    rule_id: str = Field(description="The rule (alerts[].id).")
    kind: str = Field(description="The rule's when: occupancy_above, queue_above, zone_dwell_above, camera_offline.")
    subject: str = Field(description="site, a camera id, or camera_id/zone_id.")
    camera_id: str | None = Field(default=None, description="The camera, where the subject has one.")
    zone_id: str | None = Field(default=None, description="The zone, for zone rules.")
    value: float | None = Field(default=None, description="The measured value when raised.")
    threshold: float | None = Field(default=None, description="The rule's value.")
    since: str = Field(description="When the condition started holding (ISO-8601 UTC).")
    raised_at: str = Field(description="When the alert was raised (ISO-8601 UTC).")
    notify: list[str] = Field(description="Where the rule's alerts go: dashboard, mqtt, webhook.")


class AlertList(BaseModel):
    """Open alerts, oldest first."""

    items: list[AlertItem]
    rules: int = Field(description="Alert rules the runtime evaluates (0: nothing can be open).")


def get_integrations() -> Any | None:
    """The integrations actor, or None when neither MQTT, webhooks nor alert rules are configured."""
    try:
        return ray.get_actor(names.INTEGRATIONS, namespace=names.NAMESPACE)
    except ValueError:
        return None


@router.get("/alerts", summary="Open alerts", response_model=AlertList)
async def open_alerts(integrations: Any | None = Depends(get_integrations)) -> AlertList:
    """Alerts raised and not yet cleared (hysteresis: each raised alert clears exactly once)."""
    if integrations is None:
        return AlertList(items=[], rules=0)
    got: dict[str, Any] = await integrations.open_alerts.remote()
    return AlertList(items=[AlertItem.model_validate(jsonable(a)) for a in got["items"]], rules=int(got["rules"]))
