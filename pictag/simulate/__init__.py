"""A real RTSP camera simulator (GStreamer RTSP server fed by ffmpeg)."""
