"""`make test`'s pytest-xdist scheduler: whole test files to a worker, the nbval notebook copies kept together.

Why it exists: most of `make test`'s time goes to notebook kernels, and two workers nearly halve it; but a module's
fixtures (a notebook chain, a sweep) must be built once, in one worker, and each nbval copy reads what the one before
it wrote. xdist's `--dist loadfile` splits by file but not the chain, and its `loadgroup` marks cannot keep the chain
together under pytest 9 (xdist tags them onto `item._nodeid`, which pytest 9 no longer reads). So this overrides
`LoadScopeScheduling._split_scope`, a private method: check it after upgrading pytest-xdist
(tests/test_parallel_tests.py does).
"""
from __future__ import annotations

import pytest


# Files whose module fixture is parametrized by notebook run: each run is its own unit, so the runs (a minute each)
# spread over both workers instead of queueing in one.
SPLIT_BY_RUN = ("tests/test_notebook_runs.py",)


def xdist_unit(nodeid: str) -> str:
    """What one pytest-xdist worker runs as a whole under `make test`: a test file, so a module's fixtures
    are built once; the nbval notebook copies are one unit, as each reads what the one before it wrote; and in
    SPLIT_BY_RUN files, each notebook run (the test id's parameter) with all the tests that read it."""
    path = nodeid.split("::")[0]
    if path.startswith("tests/expected_notebooks/"):
        return "tests/expected_notebooks"
    if path in SPLIT_BY_RUN and nodeid.endswith("]"):
        return f"{path}[{nodeid.rsplit('[', 1)[1]}"
    return path


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown (and unused) where it is not loaded
def pytest_xdist_make_scheduler(config, log):
    """xdist's load-scope scheduler with `xdist_unit` as the scope."""
    from xdist.scheduler import LoadScopeScheduling

    class ByFileAndNotebookChain(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    return ByFileAndNotebookChain(config, log)
