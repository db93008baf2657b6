"""Fixtures of pytest-shards, registered in every run that loads the plugin:
``shard_index``, ``shard_port_range`` and ``free_tcp_port``. Inside a shard
they read the runner's PYTEST_SHARD_* variables; outside one they work too."""

import os
import socket

import pytest

DEFAULT_PORT_COUNT = 10  # ports per range outside a shard
# How many ports free_tcp_port handed out in this session: the next one
# starts its search after the last, so a port a test just closed (still in
# TIME_WAIT for its peers) is not handed out again at once.
_PORTS_HANDED_OUT = pytest.StashKey[int]()


def _env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        pytest.fail(f"{name}={value!r} is not an integer; unset it or fix it", pytrace=False)


@pytest.fixture(scope="session")
def shard_index():
    """0-based index of this shard (PYTEST_SHARD_INDEX); 0 outside a shard."""
    return _env_int("PYTEST_SHARD_INDEX", 0)


@pytest.fixture(scope="session")
def shard_port_range():
    """This shard's private TCP ports (PYTEST_SHARD_PORT_BASE/COUNT).

    Outside a shard: DEFAULT_PORT_COUNT consecutive ports that the OS reports
    free when the session asks.
    """
    base = _env_int("PYTEST_SHARD_PORT_BASE", None)
    count = _env_int("PYTEST_SHARD_PORT_COUNT", None)
    if base is not None and count is not None:
        return range(base, base + count)
    return _free_port_range(DEFAULT_PORT_COUNT)


@pytest.fixture
def free_tcp_port(request, shard_port_range):
    """A port of shard_port_range that 127.0.0.1 can bind right now.

    Successive calls go round the range, so tests get different ports. A port
    nothing uses is preferred; failing that, one whose last connection lingers
    in TIME_WAIT, which servers that set SO_REUSEADDR can bind."""
    stash = request.config.stash
    start = stash.get(_PORTS_HANDED_OUT, 0)
    ports = list(shard_port_range)
    for reuse in (False, True):
        for i in range(len(ports)):
            port = ports[(start + i) % len(ports)]
            if _can_bind(port, reuse):
                stash[_PORTS_HANDED_OUT] = start + i + 1
                return port
    pytest.fail(
        f"no free TCP port in {_describe(shard_port_range)} on 127.0.0.1; "
        "stop what holds them or give shards more ports (PORTS_PER_SHARD)",
        pytrace=False,
    )


def _can_bind(port, reuse=False):
    """Whether a server can listen on the port now (with SO_REUSEADDR, as
    http.server, asyncio and most frameworks set it, when `reuse`)."""
    if not 0 < port < 65536:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_range(count, attempts=50):
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        ports = range(base, base + count)
        if ports[-1] < 65536 and all(_can_bind(p) for p in ports):
            return ports
    pytest.fail(
        f"the OS gave no {count} consecutive free TCP ports in {attempts} "
        "attempts; free some ports or run inside a shard",
        pytrace=False,
    )


def _describe(ports):
    if len(ports) == 0:
        return "the empty port range"
    return f"ports {ports[0]}-{ports[-1]}"
