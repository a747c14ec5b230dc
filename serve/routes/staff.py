"""``/api/v1/staff``: who is staff today, and manual marks (mark, unmark, clear).

A person (re-id identity) seen entering a ``staff`` zone is staff for that local day; a mark
overrides that — for one day or for every day (``day`` null), and ``staff: false`` takes a
wrongly caught customer out. Marks are stored and applied at once: staff are left out of
footfall, visitors, dwell and queue figures and listed apart (docs/footfall.md).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pictag.footfall.staff import StaffMark
from pictag.serve.errors import ApiError
from pictag.serve.routes.visits import IDENTITY_PATTERN
from pictag.serve.schemas.footfall import Mark, MarkResult, StaffList
from pictag.serve.services import Services, get_services

router = APIRouter(tags=["staff"])

PersonPath = Annotated[str, Path(pattern=IDENTITY_PATTERN, description="The person's (re-id identity's) id.")]


class MarkBody(BaseModel):
    """A manual decision about one person."""

    model_config = ConfigDict(extra="forbid")

    staff: bool = Field(default=True, description="true: staff; false: not staff (overrides the staff-zone rule).")
    day: date | None = Field(default=None, description="The local day it holds for; null: every day.")


@router.get("/staff", response_model=StaffList, summary="Today's staff and the manual marks")
async def list_staff(services: Services = Depends(get_services)) -> StaffList:
    """Persons counted as staff today (seen in a staff zone, or marked) and every stored mark."""
    day, persons = await services.identity.staff_today.remote()
    marks: list[StaffMark] = await services.store.list_staff_marks.remote()
    return StaffList(
        day=day,
        staff=sorted(persons),
        marks=[Mark(person_id=m.person_id, staff=m.staff, day=m.day) for m in marks],
    )


@router.put("/staff/{person_id}", response_model=MarkResult, summary="Mark or unmark a person as staff")
async def mark_staff(person_id: PersonPath, body: MarkBody, services: Services = Depends(get_services)) -> MarkResult:
    """Store the decision (replacing one for the same day) and apply it to live counts at once."""
    mark = StaffMark(person_id, body.staff, body.day)
    staff_today: bool = await services.identity.mark_staff.remote(mark)
    return MarkResult(person_id=person_id, staff=body.staff, day=body.day, staff_today=staff_today)


@router.delete("/staff/{person_id}", status_code=204, summary="Remove a manual staff decision")
async def clear_staff(
    person_id: PersonPath,
    day: date | None = Query(default=None, description="The day of the mark; omit for the every-day mark."),
    services: Services = Depends(get_services),
) -> Response:
    """The staff-zone rule applies again for that person (and day)."""
    if not await services.identity.clear_staff_mark.remote(person_id, day):
        which = day.isoformat() if day else "every day"
        raise ApiError(404, "not_found", f"no staff mark for {person_id!r} ({which})", "person_id")
    return Response(status_code=204)
