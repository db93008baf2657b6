"""--shards-node-ids: the shard runs exactly the node IDs of a JSON file.

Registered only when the option is given. The file holds
``{"node_ids": [...], "paths": {module part: absolute path}}``, as the
runner writes it. Items not requested are deselected; an item whose run-time
node ID differs from the planned one gets the planned one back. The journal
(journal.py) asks this object which IDs pytest did not collect and what a
collector's planned ID is.
"""

import json
import os

import pytest

from .pytest_compat import rename


class Selection:
    """The requested node IDs and how pytest's items map onto them."""

    def __init__(self, config, node_ids_file):
        self.requested, paths = read_node_ids(node_ids_file)  # unique, in file order
        # The shared tail's node IDs (tail.py): collected here too, run only
        # when this entry takes their group.
        self.tail = read_tail(node_ids_file)
        tail_ids = [i for group in (self.tail or {}).get("groups", []) for i in group]
        self.tail_ids = set(tail_ids)
        own = set(self.requested)
        self.requested += [i for i in dict.fromkeys(tail_ids) if i not in own]
        self.module_paths = module_paths(config.rootpath, self.requested, paths)
        # A run-time node ID can differ from the planned one (--pyargs with a
        # rootdir outside the package; modules of two packages whose IDs
        # collide): an item is known by its path and the ID's part after the
        # module.
        self.by_location = {
            (self.module_paths[module_part(i)], test_part(i)): i for i in self.requested
        }
        # Requested IDs that pytest did not collect; None until
        # pytest_collection_modifyitems ran.
        self.not_collected = None
        if config.getoption("shards_imports") == "own":
            # pytest_configure is the first hook that sees config.args (set
            # by Config.parse); Session.perform_collect reads it afterwards.
            config.args = own_args(self.module_paths, self.requested)
            config.option.pyargs = False
        # A module that stopped importing must not stop the rest of the
        # shard: its IDs are journaled as errors, the others still run.
        config.option.continue_on_collection_errors = True

    def own_paths(self):
        """The absolute paths of the shard's modules."""
        return set(self.module_paths.values())

    def planned_id(self, path, node_id):
        """The requested node ID of what pytest calls node_id at path, or None."""
        return self.by_location.get((str(path), test_part(node_id)))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            # The item gets back its planned ID, so that reports and the
            # journal name it uniquely. (Node._nodeid: pytest has no public
            # setter.)
            name = self.planned_id(item.path, item.nodeid)
            if name is not None and name != item.nodeid:
                rename(item, name)
            (keep if name is not None else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        collected = {item.nodeid for item in keep}
        # A tail's node ID is journaled by the entry that takes its group.
        self.not_collected = [
            i for i in self.requested if i not in collected and i not in self.tail_ids
        ]


class BrokenModules:
    """--shards-collection-errors: the collection-errors entry runs the
    modules that failed to collect at configure time, by their files (the
    file holds their node IDs and paths, as a node ID file does). pytest
    names a module given as a file outside the rootdir "" (--pyargs), so
    their reports get their planned node IDs back by their files."""

    def __init__(self, config, path):
        modules, paths = read_node_ids(path)
        self.by_path = {p: m for m, p in module_paths(config.rootpath, modules, paths).items()}

    def planned_id(self, path, node_id):
        """The planned ID of a module's own report at path; any other
        report keeps pytest's node_id."""
        if test_part(node_id):
            return node_id
        return self.by_path.get(str(path), node_id)


def own_args(module_paths, requested):
    """What pytest collects under --shards-imports=own: the shard's modules,
    or the one node ID itself (`pytest <file>::<test>`, an IDE's click), so
    that pytest builds that item alone, not every item of its module."""
    paths = [p for p in dict.fromkeys(module_paths.values()) if os.path.exists(p)]
    if len(requested) != 1 or len(paths) != 1:
        return paths
    test = test_part(requested[0])
    # pytest splits its arguments at "::": a parameter ID holding one would
    # name another node.
    if not test or "::" in test.partition("[")[2]:
        return paths
    return [f"{paths[0]}::{test}"]


def read_node_ids(path):
    """The node IDs (unique, in file order) and module paths of a node ID
    file: {"node_ids": [...], "paths": {module part: absolute path}}."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise pytest.UsageError(
            f"cannot read node ID file {path} ({e}); run shards through "
            "'pytest-shards run'"
        )
    ids = data.get("node_ids") if isinstance(data, dict) else None
    paths = data.get("paths", {}) if isinstance(data, dict) else None
    if (
        not isinstance(ids, list)
        or not all(isinstance(i, str) for i in ids)
        or not isinstance(paths, dict)
        or not all(isinstance(p, str) for p in paths.values())
    ):
        raise pytest.UsageError(
            f"node ID file {path} does not hold node_ids (strings) and paths; "
            "run shards through 'pytest-shards run'"
        )
    return list(dict.fromkeys(ids)), paths


def read_tail(path):
    """The "tail" of a node ID file (tail.py), or None: {"groups": [[node
    ID, ...], ...], "claims": path, "entry": index, "started": [node ID, ...]}."""
    try:
        with open(path, encoding="utf-8") as f:
            tail = json.load(f).get("tail")
    except (OSError, ValueError, AttributeError):
        return None  # read_node_ids says what is wrong with the file
    if tail is None:
        return None
    groups = tail.get("groups") if isinstance(tail, dict) else None
    if (
        not isinstance(groups, list)
        or not all(isinstance(g, list) and all(isinstance(i, str) for i in g) for g in groups)
        or not isinstance(tail.get("claims"), str)
        or not isinstance(tail.get("entry"), int)
        or not all(isinstance(i, str) for i in tail.get("started", []))
    ):
        raise pytest.UsageError(
            f"node ID file {path} has a malformed tail; run shards through 'pytest-shards run'"
        )
    return tail


def module_part(node_id):
    return node_id.split("::", 1)[0]


def test_part(node_id):
    return node_id.split("::", 1)[1] if "::" in node_id else ""


def module_paths(rootpath, node_ids, paths):
    """{module part: absolute path} for every module of node_ids, from
    `paths` or else below rootpath, in first-seen order. pytest collects
    these paths (those that no longer exist are left out: pytest would stop
    with "file or directory not found"; their IDs are journaled missing)."""
    modules = {}
    for node_id in node_ids:
        part = module_part(node_id)
        if part not in modules:
            modules[part] = paths.get(part) or str(rootpath / part)
    return modules
