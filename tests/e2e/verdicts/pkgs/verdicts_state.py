"""State the modules of the verdicts suite share: what their imports
register, and the evidence of which test ran in which process."""
import json
import os

import pytest

# checks/test_register.py appends its name when it is imported.
REGISTRY = []
# checks/sibling/conftest.py sets "sibling_conftest" when it is imported.
FLAGS = {}


@pytest.fixture(autouse=True)
def evidence(request):
    """Appends one line to $EVIDENCE_DIR/<pid>.jsonl: this test ran (its
    module file, its name, the shard or None under plain pytest)."""
    directory = os.environ.get("EVIDENCE_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        record = {"file": str(request.node.path), "name": request.node.name,
                  "shard": os.environ.get("PYTEST_SHARD_INDEX"), "pid": os.getpid()}
        with open(os.path.join(directory, f"{os.getpid()}.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
