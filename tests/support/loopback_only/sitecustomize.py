"""Loaded at start-up by a served app whose ``PYTHONPATH`` starts with this folder.

The API fuzz test lets a generator write automation rules with any webhook URL and
then fire them, so the server under test must not reach anything off this machine:
host names other than ``localhost`` do not resolve (no DNS query leaves), and
connecting to a non-loopback address fails at once, as on a machine with no network.
Connections to the loopback range (the test PostgreSQL and Redis) work as usual.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(host: object) -> bool:
    if host is None or host == "localhost":
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, "loopback-only test server: no name lookup")
    return _real_getaddrinfo(host, *args, **kwargs)


def _refused(self: socket.socket, address: Any) -> bool:
    return self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0])


def _connect(self: socket.socket, address: Any) -> None:
    if _refused(self, address):
        raise OSError(101, "loopback-only test server: network is unreachable")
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if _refused(self, address):
        return 101
    return _real_connect_ex(self, address)


socket.getaddrinfo = _getaddrinfo
socket.socket.connect = _connect  # type: ignore[method-assign]
socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
