"""Every pytest internal that the plugin touches, in one place.

The plugin keeps to pytest's public API, but a warm worker (warm_worker.py,
warm_session.py) turns one pytest session into several entries' sessions,
and the session step (session.py) gives pytest's reporters the run's start:
both reach into pytest's own objects. Each such access is a function here,
with the pytest versions it is known to hold for. CI runs the plugin's tests
and the end-to-end checks under pytest 7.2 (Debian bookworm), 8.3 (trixie)
and 9.1 (sid) (tools/pytest-venvs.sh); a pytest outside TESTED_MAJORS gets
no warm interpreter (warm_unsupported()) rather than unproven internals.
"""

import time
import types

import pytest

VERSION = pytest.version_tuple[:2]
# The pytest major versions whose internals below are tested in CI.
TESTED_MAJORS = (7, 8, 9)


def warm_unsupported():
    """Why the warm interpreter cannot run under this pytest, or None."""
    if VERSION[0] in TESTED_MAJORS:
        return None
    return (f"pytest {pytest.__version__} is not one whose internals the warm worker knows "
            f"(pytest {TESTED_MAJORS[0]}.x to {TESTED_MAJORS[-1]}.x)")


# --- configuration (7.2-9.1) ---


def parse_known_args(config, args, namespace):
    """pytest's own parser over args, into namespace (Config._parser)."""
    return config._parser.parse_known_args(args, namespace=namespace)


def unconfigure(config):
    """pytest_unconfigure and the config's cleanups, once (7.2-9.1)."""
    config._ensure_unconfigure()


def new_cache(config, directory):
    """A pytest Cache over directory (7.2-9.1: Cache(path, config) behind
    _ispytest)."""
    from _pytest.cacheprovider import Cache

    return Cache(directory, config, _ispytest=True)


def renew_tmp_path_factory(config):
    """tmp_path_factory as a fresh one from the config's (basetemp) options
    would be, in the object that set-up fixtures may already hold
    (config._tmp_path_factory, 7.2-9.1)."""
    from _pytest.tmpdir import TempPathFactory

    factory = TempPathFactory.from_config(config, _ispytest=True)
    kept = getattr(config, "_tmp_path_factory", None)
    if kept is None or not hasattr(kept, "__dict__"):
        config._tmp_path_factory = factory
    else:  # the object that tmp_path_factory and tmpdir_factory return
        vars(kept).clear()
        vars(kept).update(vars(factory))


# --- nodes, setup state and fixtures (7.2-9.1) ---


def rename(item, node_id):
    """Gives an item another node ID (Node._nodeid)."""
    item._nodeid = node_id


def setup_state(session):
    """pytest's SetupState: .stack, {node: (finalizers, exception)} of what
    is set up, and teardown_exact(nextitem) (7.2-9.1)."""
    return session._setupstate


def fixture_definitions(session):
    """{fixture name: [FixtureDef]}: each with cached_result, scope (a
    string) and argnames (FixtureManager._arg2fixturedefs, 7.2-9.1)."""
    return session._fixturemanager._arg2fixturedefs


def finish_fixture(definition, session):
    """Tears a set-up fixture down as pytest does when a parametrized one
    changes its parameter: its finalizers (its own teardown and that of the
    fixtures that use it), pytest_fixture_post_finalizer, then no cached
    value (FixtureDef.finish, 7.2-9.1; pytest 9.1 refuses to set up again a
    fixture whose finalizers did not run). The request stands in for the
    session's: finish reads only its node and config."""
    if definition.cached_result is None:
        return
    definition.finish(request=types.SimpleNamespace(node=session, config=session.config))


# --- the terminal reporter and the JUnit writer ---


def restart_terminal(reporter, collected):
    """The reporter's per-session counters, as after a collection of
    `collected` items, and its session clock from now (7.2-9.1)."""
    reporter.stats = {}
    reporter._numcollected = collected
    reporter._progress_nodeids_reported = set()
    if hasattr(reporter, "_timing_nodeids_reported"):  # console_output_style=times (9.1)
        reporter._timing_nodeids_reported = set()
    reporter._main_color = reporter._known_types = None
    reporter.currentfspath = None
    _set_reporter_start(reporter, time.time())


def set_session_start(config, start):
    """The session began at `start` (seconds since the epoch): the
    terminal's "in 12.3s" and the JUnit file's timestamp and time count from
    there. None: pytest's own."""
    if not start:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        _set_reporter_start(reporter, start)
    key = junit_key()
    xml = config.stash.get(key, None) if key is not None else None
    if isinstance(getattr(xml, "suite_start_time", None), float):  # 7.2-8.3
        xml.suite_start_time = start
    elif getattr(xml, "suite_start", None) is not None:  # 9.1 (a timing.Instant since 8.4)
        xml.suite_start = _instant(start)


def _set_reporter_start(reporter, start):
    if isinstance(getattr(reporter, "_sessionstarttime", None), float):  # 7.2-8.3
        reporter._sessionstarttime = start
    elif getattr(reporter, "_session_start", None) is not None:  # 9.1 (since 8.4)
        reporter._session_start = _instant(start)


def _instant(start):
    """A _pytest.timing.Instant (pytest >= 8.4) of `start`: its wall time,
    and its performance counter as far back as start is from now."""
    from _pytest import timing

    instant = timing.Instant()
    ago = max(0.0, instant.time - start)
    # A frozen dataclass whose fields take no arguments (init=False).
    object.__setattr__(instant, "perf_count", instant.perf_count - ago)
    object.__setattr__(instant, "time", start)
    return instant


def junit_key():
    """The config.stash key of pytest's LogXML (7.2-9.1), or None."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:
        return None
    return xml_key


# --- file descriptors that pytest keeps ---


def saved_stream_fds(config, target):
    """The descriptors that pytest keeps as copies of fd `target` (0, 1 or
    2) and writes to or puts back later: global capture's saved copy
    (7.2-9.1), and faulthandler's copy of stderr."""
    capman = config.pluginmanager.getplugin("capturemanager")
    capturing = getattr(capman, "_global_capturing", None)
    if capturing is not None:
        capture = (capturing.in_, capturing.out, capturing.err)[target]
        saved = getattr(capture, "targetfd_save", None)
        if saved is not None:
            yield saved
    if target == 2:
        fd = _faulthandler_fd(config)
        if fd is not None:
            yield fd


def _faulthandler_fd(config):
    from _pytest import faulthandler

    key = getattr(faulthandler, "fault_handler_stderr_fd_key", None)
    if key is not None:  # 8.3, 9.1: a dup of stderr, as an int
        return config.stash.get(key, None)
    key = getattr(faulthandler, "fault_handler_stderr_key", None)
    stream = config.stash.get(key, None) if key is not None else None
    if stream is None:  # 7.2: a file object over a dup of stderr
        return None
    stream.flush()
    return stream.fileno()
