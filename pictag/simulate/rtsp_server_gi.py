"""GStreamer RTSP server for simulated cameras (runs under the system /usr/bin/python3).

Not imported by PicTag: `pictag.simulate.server` starts it as a subprocess,
because python3-gi (PyGObject) is a Debian package that only the system
interpreter can import, not a virtualenv. Needs the Debian packages
gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-{base,good,bad} and python3-gi.

The configuration arrives as one JSON line on stdin (never on the command line,
where passwords would show up in ``ps``); the server exits when stdin closes, so
it never outlives its parent::

    {"host": "127.0.0.1", "port": 8554,
     "mounts": [{"path": "/cam1", "udp_port": 50000},
                {"path": "/cam2", "launch": "( videotestsrc ... name=pay0 )",
                 "user": "admin", "password": "..."}]}

A mount with ``udp_port`` relays H.264 RTP that an ffmpeg feeder sends to that
port (``ffmpeg -re -stream_loop -1 -i clip.mp4 -c copy -f rtp rtp://127.0.0.1:PORT``);
``launch`` serves any gst-rtsp-server launch line instead. Mounts with a user
require authentication (Basic, or Digest when ``"digest": true``). Either every
mount has a user or none has: gst-rtsp-server answers 401 only when it has no
default (anonymous) token, and then unprotected mounts answer 404. Prints ``READY <port>``
on stdout once it listens; exits on SIGTERM/SIGINT or end of stdin.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

RELAY = (
    '( udpsrc port={port} buffer-size=4194304 caps="application/x-rtp,media=video,clock-rate=90000,'
    'encoding-name=H264,payload=96" ! rtph264depay ! h264parse config-interval=-1 '
    "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)
OPEN_ROLE = "anonymous"


def build_server(config: dict[str, Any]) -> GstRtspServer.RTSPServer:
    """An RTSP server with one shared media factory per mount."""
    server = GstRtspServer.RTSPServer()
    server.set_address(config.get("host", "127.0.0.1"))
    server.set_service(str(config["port"]))
    mounts = server.get_mount_points()
    auth = GstRtspServer.RTSPAuth()
    if not any(m.get("user") for m in config["mounts"]):
        # Open server: everybody gets the anonymous role. With a default token the
        # server never answers 401, so a server with credentials has none.
        anonymous = GstRtspServer.RTSPToken()
        anonymous.set_string("media.factory.role", OPEN_ROLE)
        auth.set_default_token(anonymous)
    if config.get("digest"):
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    for mount in config["mounts"]:
        factory = GstRtspServer.RTSPMediaFactory()
        launch = mount.get("launch") or RELAY.format(port=int(mount["udp_port"]))
        factory.set_launch(launch)
        factory.set_shared(True)  # one udpsrc per mount, whatever the number of clients
        role = OPEN_ROLE
        if mount.get("user"):
            role = "user_" + "".join(ch if ch.isalnum() else "_" for ch in mount["path"])
            token = GstRtspServer.RTSPToken()
            token.set_string("media.factory.role", role)
            password = mount.get("password", "")
            if config.get("digest"):
                auth.add_digest(mount["user"], password, token)
            else:
                auth.add_basic(GstRtspServer.RTSPAuth.make_basic(mount["user"], password), token)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role_from_structure(
            Gst.Structure.new_from_string(
                f"{role}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )
        factory.set_permissions(permissions)
        mounts.add_factory(mount["path"], factory)
    server.set_auth(auth)
    return server


def main() -> int:
    """Serve until SIGTERM/SIGINT or until the parent closes stdin."""
    config = json.loads(sys.stdin.buffer.readline())
    Gst.init(None)
    server = build_server(config)
    if server.attach(None) == 0:
        print(f"ERROR cannot listen on port {config['port']}", flush=True)
        return 2
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)

    def on_stdin(fd: int, _condition: GLib.IOCondition) -> bool:
        if not os.read(fd, 4096):
            loop.quit()
            return False
        return True

    GLib.io_add_watch(
        sys.stdin.fileno(),
        GLib.PRIORITY_DEFAULT,
        GLib.IOCondition.IN | GLib.IOCondition.HUP,
        on_stdin,
    )
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
