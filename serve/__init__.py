"""The Ray Serve FastAPI app (installed as ``pictag.serve``): REST, WebSocket, dashboard."""
