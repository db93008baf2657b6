"""A private cache of pytest's rewritten test modules (--shards-rewrite-cache).

pytest rewrites the asserts of every test module and conftest it imports and
caches the result beside the source (``__pycache__``) - unless bytecode
writing is off (``PYTHONDONTWRITEBYTECODE``, common in containers and CI).
Then every pytest process rewrites the whole suite again: on numpy that is
about 5 of the 8 s that a shard takes to start, paid by every shard and, in
plain pytest-xdist, by every worker. Since every shard imports the whole
suite, the cost grows with the number of shards.

While pytest collects, and only then, this points the rewrite cache at a
directory of the build tree (``sys.pycache_prefix``) and lets it be written.
The user's tree is never written to, and the tests themselves run with the
interpreter's settings as they were: the verdicts are those of plain pytest.
"""

import sys

import pytest


class RewriteCache:
    def __init__(self, directory):
        self.directory = directory

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection(self, session):
        if not sys.dont_write_bytecode:
            # pytest caches rewritten modules itself, as in a plain run.
            yield
            return
        saved = sys.pycache_prefix
        sys.pycache_prefix = self.directory
        sys.dont_write_bytecode = False
        try:
            yield
        finally:
            sys.pycache_prefix = saved
            sys.dont_write_bytecode = True
