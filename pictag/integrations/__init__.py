"""Outbound integrations: MQTT (with Home Assistant discovery) and signed webhooks.

Both run their network I/O on their own threads behind bounded queues: the pipeline
hands them values and events and never waits on a broker or an HTTP endpoint.
"""
