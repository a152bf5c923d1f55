"""Addresses as they may be printed, and whether a host is this machine: one place for the rules every
endpoint, tracking store and server address follows (no password, key or token ever reaches a console, a log or
an MLflow param).
"""

from __future__ import annotations

import ipaddress
import urllib.parse


def shown_url(url: str) -> str:
    """``url`` as it may be printed, logged or linked: without ``user:password@`` and without a query string (keys
    sometimes ride there).

    Example:
        >>> shown_url("https://me:s3cret@llm.example.com:8443/v1?api-key=k")
        'https://llm.example.com:8443/v1'
    """
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", port_of(parts)
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port and port > 0 else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def masked_uri(uri: str) -> str:
    """``uri`` as it may be printed in a message: a password in it, and any query string, shown as ``***`` (the
    user name stays: it helps tell which account a store refused).

    Example:
        >>> masked_uri("postgresql://mlflow:s3cret@db.example.com:5432/mlflow?sslmode=require")
        'postgresql://mlflow:***@db.example.com:5432/mlflow?***'
    """
    parts = urllib.parse.urlsplit(uri)
    if parts.password is None and not parts.query:
        return uri  # as written (rebuilding would turn sqlite://// into sqlite://)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{netloc.rpartition('@')[0].partition(':')[0]}:***@{netloc.rpartition('@')[2]}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query="***" if parts.query else ""))


def port_of(parts: urllib.parse.SplitResult) -> int | None:
    """The URL's port, ``None`` when it names none, -1 when it is not a number."""
    try:
        return parts.port
    except ValueError:
        return -1


def is_loopback(host: str | None) -> bool:
    """Whether only this machine can reach ``host`` (a URL's host name, or an address to bind).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1"), is_loopback("0.0.0.0")
        (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name (it may resolve to anything), or none
        return False
