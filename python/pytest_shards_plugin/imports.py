"""--shards-imports=suite (the default) with --shards-node-ids: the shard
imports the whole suite, as plain pytest's collection does, and builds items
only for its own modules. Registered only then."""

import pytest


class OtherModulesImportOnly:
    """A test file that is not the shard's own is imported, as pytest's
    collection would import it, but yields no items.

    pytest collects every file that the arguments name and imports each
    conftest on its way, in its own order and through its own import
    machinery (assertion rewriting, --import-mode, rootdir, pythonpath);
    only the step from a module to its items is cut short here. Errors and
    skips of other modules are not this shard's to report: the
    collection-errors entry and the module's own shard report them."""

    def __init__(self, own_paths):
        self.own_paths = own_paths

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector):
        if not isinstance(collector, pytest.File) or isinstance(collector, pytest.Package):
            return None
        if str(collector.path) in self.own_paths:
            return None
        # A conftest.py collected as a doctest module is already imported as a conftest.
        if isinstance(collector, pytest.Module) and collector.path.name != "conftest.py":
            try:
                collector.obj  # imports the module
            except (Exception, pytest.skip.Exception, pytest.fail.Exception):
                pass
        return pytest.CollectReport(collector.nodeid, "passed", None, [])
