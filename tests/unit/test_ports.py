"""Ports for test servers and simulators: free, and outside what the kernel and Ray hand out."""

from __future__ import annotations

import socket

from pictag.simulate import ports


def test_free_ports_come_from_outside_the_ranges_the_kernel_and_ray_hand_out() -> None:

    drawn = {ports.free_port() for _ in range(20)}
    assert all(ports.FIRST_PORT <= port < ports.ephemeral_start() for port in drawn), drawn
    udp = ports.free_port(socket.SOCK_DGRAM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", udp))  # free indeed
