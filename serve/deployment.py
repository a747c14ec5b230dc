"""The Ray Serve deployment hosting the FastAPI app."""

from __future__ import annotations

import logging

from ray import serve
from ray.exceptions import RayError
from ray.serve.deployment import Application, Deployment

from pictag.config import ServerConfig
from pictag.errors import PictagError
from pictag.serve.app import create_app

log = logging.getLogger(__name__)

APP_NAME = "pictag"


def build_application(server: ServerConfig) -> Application:
    """The Serve application for these server settings (auth, CORS, limits are baked into the app)."""
    app = create_app(server)

    @serve.ingress(app)
    class PictagApi:
        """Ingress deployment: the routes live on the FastAPI app; this class only hosts it."""

        def __init__(self) -> None:
            from pictag.serve.loopback import restrict_replica_grpc

            restrict_replica_grpc()  # single PC: the replica's own gRPC server on loopback too

    # Health checks every 2 s (Serve's default 10 s left the API down ~15 s after a replica died).
    deployment: Deployment = serve.deployment(
        num_replicas=1,
        ray_actor_options={"num_cpus": 0},
        max_ongoing_requests=200,
        health_check_period_s=2,
        health_check_timeout_s=5,
    )(PictagApi)
    return deployment.bind()


def start_serve(server: ServerConfig) -> None:
    """Start Serve's HTTP proxy on ``server.host:server.port`` and deploy the app.

    Raises:
        PictagError: the proxy could not listen there (another program holds the port).
            Serve is shut down first: a proxy left retrying the busy port would keep
            the next start from listening anywhere else.
    """
    try:
        serve.start(http_options={"host": server.host, "port": server.port})
    except RayError as err:
        stop_serve()
        if "Failed to bind" in str(err):
            raise PictagError(
                f"the web server could not listen on {server.host}:{server.port}: another program uses "
                "that port (choose another with server.port or --port)"
            ) from None
        raise
    serve.run(
        build_application(server),
        name=APP_NAME,
        route_prefix="/",
        blocking=False,
        logging_config={"enable_access_log": False, "log_level": "WARNING"},
    )


def stop_serve() -> None:
    """Shut Serve down (proxy, replicas, controller)."""
    try:
        serve.shutdown()
    except Exception as err:  # already gone with the cluster
        log.debug("serve shutdown: %s", err)
