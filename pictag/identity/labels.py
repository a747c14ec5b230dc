"""Person ids of each camera's live tracks, for the previews to draw next to the boxes.

The previews are rendered in the detector actor (where the frames are), but person ids are
decided later, in the identity stage. Rather than the identity stage calling back into the
detector (labels flowing against the pipeline), it publishes each camera's current labels
on the event hub's latest-wins channel ``labels:<camera>`` whenever they change, and the
preview renderer reads that channel when it draws a preview (only while someone watches).
`LiveLabels` is the identity side: it folds the stage's events and says which cameras'
labels changed. Nothing here knows Ray.
"""

from __future__ import annotations

from collections.abc import Iterable

from pictag.events import TRACK_ENDED, TRACK_STARTED, Event

#: A camera's labels: track id → person id.
TrackLabels = dict[int, str]


def labels_channel(camera_id: str) -> str:
    """The event hub channel that carries a camera's `TrackLabels`."""
    return f"labels:{camera_id}"


class LiveLabels:
    """Person ids of the live tracks per camera, kept from ``track.started`` / ``track.ended``."""

    def __init__(self) -> None:
        self._by_camera: dict[str, TrackLabels] = {}

    def fold(self, events: Iterable[Event]) -> dict[str, TrackLabels]:
        """Apply a batch of events; returns the full current labels of every camera that changed."""
        changed: set[str] = set()
        for event in events:
            kind, camera_id, track_id = event.get("type"), event.get("camera_id"), event.get("track_id")
            if camera_id is None or track_id is None:
                continue
            if kind == TRACK_STARTED and event.get("person_id"):
                self._by_camera.setdefault(camera_id, {})[int(track_id)] = str(event["person_id"])
                changed.add(camera_id)
            elif kind == TRACK_ENDED and int(track_id) in self._by_camera.get(camera_id, {}):
                del self._by_camera[camera_id][int(track_id)]
                changed.add(camera_id)
        return {cam: dict(self._by_camera.get(cam, {})) for cam in sorted(changed)}
