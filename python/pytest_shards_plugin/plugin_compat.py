"""The internals of other plugins that the session outputs depend on, in one
place (pytest-benchmark 3.x: its BenchmarkSession, config._benchmarksession,
and the type of its --benchmark-json option; pytest-randomly's
--randomly-seed; pytest-cov's switch that keeps it from writing).

A plugin that draws a seed once per session (pytest-randomly) would draw one
per entry: the runner gives every entry and the session step of a run the
run's seed (--shards-seed, src/seed.h), which becomes the plugin's own
option unless the user gave one, so that a run has one seed, printed once by
the session step, and reproducible with the plugin's own option.

pytest-benchmark keeps its measurements in its session object and writes
--benchmark-json, --benchmark-save/--benchmark-autosave and the
--benchmark-compare table once, at the end of the session. An entry
therefore keeps each benchmark (its own JSON form, timings included) in its
part and writes none of them; the session step gives pytest-benchmark the
entries' benchmarks in collection order, and pytest-benchmark writes and
compares with its own code.
"""

import argparse
import glob
import os
import shutil
import tempfile

BENCHMARK_JSON = "--benchmark-json"
# Options that draw a seed per session, with the value that means "draw one".
SEED_OPTIONS = {"randomly_seed": "default"}


class AtomicOutput:
    """Stands in for the file that argparse.FileType('wb') would open, and
    empty, as soon as pytest parses --benchmark-json: in the collector at
    configure and in every entry, over the last complete file. It opens a
    temporary file beside the path when pytest-benchmark writes, and puts it
    in place when the write is complete."""

    def __init__(self, path):
        self.name = path
        self.file = None
        self.temp = None

    def __enter__(self):
        path = os.path.abspath(self.name)
        fd, self.temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=os.path.basename(path) + ".")
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, kind, value, traceback):
        self.file.close()
        if kind is None:
            os.replace(self.temp, self.name)
        else:
            os.unlink(self.temp)

    def __str__(self):
        # pytest-benchmark's "Wrote benchmark data in: ..." line, as plain pytest prints it.
        return f"<_io.BufferedWriter name={self.name!r}>"


def _atomic_output(path):
    if path == "-":  # standard output: nothing to replace
        return argparse.FileType("wb")(path)
    return AtomicOutput(path)


def defer_benchmark_json(manager):
    """When pytest-benchmark's options are added, its --benchmark-json opens
    nothing at parsing (pytest_plugin_registered: before pytest parses the
    plugins' options)."""
    config = manager.get_plugin("pytestconfig")
    parser = getattr(config, "_parser", None)
    for group in getattr(parser, "_groups", ()):
        if group.name != "benchmark":
            continue
        for option in group.options:
            if BENCHMARK_JSON in option.names() and option.type is not _atomic_output:
                option.type = option._attrs["type"] = _atomic_output


def benchmark_requested(option):
    """Whether pytest-benchmark is asked to write or compare once per session."""
    return any(
        getattr(option, name, None)
        for name in ("benchmark_json", "benchmark_save", "benchmark_autosave", "benchmark_compare")
    )


def silence_benchmark(option):
    """No benchmark file written, no saved run compared (before
    pytest-benchmark's pytest_configure reads them)."""
    for name, nothing in (("benchmark_json", None), ("benchmark_save", None),
                          ("benchmark_autosave", None), ("benchmark_compare", []),
                          ("benchmark_compare_fail", None)):
        if hasattr(option, name):
            setattr(option, name, nothing)


def new_benchmarks(config, sent):
    """The JSON form of each benchmark measured since the last call (sent:
    {id: benchmark}, which keeps them alive, so that no id is reused), as
    pytest-benchmark saves it, with its cProfile list in the order the
    terminal shows it."""
    session = getattr(config, "_benchmarksession", None)
    found = []
    for bench in getattr(session, "benchmarks", ()):
        if sent.get(id(bench)) is bench:
            continue
        sent[id(bench)] = bench
        if bench.has_error:
            continue
        saved = bench.as_dict(include_data=True)
        shown = bench.as_dict(stats=False, cprofile=session.cprofile_sort_by)
        found.append({"saved": saved, "bool": bool(bench), "cprofile_shown": shown.get("cprofile")})
    return found


def give_benchmarks(config, kept):
    """pytest-benchmark's session gets the entries' benchmarks, which it
    writes and compares at its pytest_sessionfinish."""
    session = getattr(config, "_benchmarksession", None)
    if session is not None:
        session.benchmarks = [KeptBenchmark(k) for k in kept]


class KeptBenchmark:
    """An entry's benchmark, in the session step: what pytest-benchmark's
    Metadata gives its session (as_dict, fullname, has_error, stats by
    name), from its saved JSON form."""

    has_error = False

    def __init__(self, kept):
        self.saved = kept["saved"]
        self.measured = kept["bool"]
        self.cprofile_shown = kept["cprofile_shown"]
        self.fullname = self.saved["fullname"]

    def __bool__(self):
        return self.measured

    def __getitem__(self, key):
        stats = self.saved.get("stats", {})
        return stats[key] if key in stats else self.saved[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def as_dict(self, include_data=True, flat=False, stats=True, cprofile=None):
        result = {k: v for k, v in self.saved.items() if k != "stats"}
        if cprofile is not None and self.cprofile_shown is not None:
            result["cprofile"] = self.cprofile_shown
        if stats and "stats" in self.saved:
            kept = dict(self.saved["stats"])
            if not include_data:
                kept.pop("data", None)
            if flat:
                result.update(kept)
            else:
                result["stats"] = kept
        return result


def seed_requested(option):
    """Whether the suite has an option that draws a seed per session."""
    return any(hasattr(option, name) for name in SEED_OPTIONS)


def give_seed(option, seed):
    """The run's seed, for the options that would draw their own (before
    their plugins' pytest_configure reads them); the user's value stays."""
    if seed is None:
        return
    for name, draw in SEED_OPTIONS.items():
        if getattr(option, name, None) == draw:
            setattr(option, name, seed)


def stop_coverage_writes(config):
    """pytest-cov (4.x) combines, saves and reports after the test loop,
    unless it is disabled: so it is, quietly, when the loop was
    interrupted."""
    plugin = config.pluginmanager.get_plugin("_cov")
    if plugin is not None and hasattr(plugin, "_disabled"):
        plugin._disabled = True
        plugin.options.no_cov_should_warn = False


class SessionCoverageFile:
    """Around pytest-cov's start in the session step: coverage.py's data
    file (COVERAGE_FILE, [run] data_file or .coverage) is written beside
    itself under a temporary name, which replaces it once the session is
    complete. pytest-cov erases the data file when it starts and combines
    into it at the end: an interrupted session step would leave none, or a
    part of the run, where the last complete one was."""

    def __init__(self, namespace):
        self.path = coverage_data_file(namespace)
        self.temp = f"{self.path}.pytest-shards-{os.getpid()}"
        if getattr(namespace, "cov_append", False) and os.path.exists(self.path):
            shutil.copyfile(self.path, self.temp)
        self.saved = os.environ.get("COVERAGE_FILE")
        # Read when pytest-cov makes its Coverage objects, right after this.
        os.environ["COVERAGE_FILE"] = self.temp

    def started(self, pluginmanager):
        restore_environ("COVERAGE_FILE", self.saved)

    def finish(self, complete):
        put_in_place(self.temp, self.path, complete)


def restore_environ(name, saved):
    """os.environ[name] as it was (saved: None where it was not set)."""
    if saved is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = saved


def coverage_data_file(option):
    """The absolute path of the data file pytest-cov combines into: as its
    Coverage objects find it (COVERAGE_FILE, then --cov-config's [run]
    data_file, then .coverage), from the working directory."""
    import coverage

    config = getattr(option, "cov_config", ".coveragerc")
    return os.path.abspath(coverage.Coverage(data_suffix=True, config_file=config).config.data_file)


def benchmark_json_path(option):
    """The absolute path of --benchmark-json (None: not given, or stdout)."""
    output = getattr(option, "benchmark_json", None)
    name = getattr(output, "name", None)
    return os.path.abspath(name) if isinstance(name, str) and name != "-" else None


def put_in_place(temp, path, complete):
    """A session file written under the temporary name temp replaces path
    when the session is complete; else it goes, with what was written
    beside it under that name (coverage's parallel data files)."""
    if complete and os.path.exists(temp):
        os.replace(temp, path)
    else:
        for leftover in glob.glob(glob.escape(temp) + "*"):
            os.unlink(leftover)
