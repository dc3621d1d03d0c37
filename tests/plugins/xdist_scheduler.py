"""`make test`'s pytest-xdist scheduler: whole test files to a worker, the nbval notebook copies kept together.

Why it exists: most of `make test`'s time goes to notebook kernels, and two workers nearly halve it; but a module's
fixtures (a notebook chain, a sweep) must be built once, in one worker, and each nbval copy reads what the one before
it wrote. xdist's `--dist loadfile` splits by file but not the chain, and its `loadgroup` marks cannot keep the chain
together under pytest 9 (xdist tags them onto `item._nodeid`, which pytest 9 no longer reads). So this overrides
`LoadScopeScheduling._split_scope`, a private method: check it after upgrading pytest-xdist
(tests/test_parallel_tests.py does).

Units start in collection order, with the slow ones (notebook kernels, training, the nbval copies) moved first: the
many quick files then fill in at the end, so neither worker is left alone with a minute-long unit while the other
waits. (xdist's default order, most tests first, started the slowest units last.)
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


SLOW_MARKERS = ("notebook", "training")


def is_slow(item: pytest.Item) -> bool:
    """A test that runs notebook kernels or trains for epochs (its markers), or an nbval notebook copy."""
    return any(item.get_closest_marker(name) for name in SLOW_MARKERS) or xdist_unit(item.nodeid) == "tests/expected_notebooks"


def pytest_collection_modifyitems(config, items):
    """In each xdist worker, the slow tests first (a stable sort: the same order in every worker, as xdist requires)."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: not is_slow(item))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown (and unused) where it is not loaded
def pytest_xdist_make_scheduler(config, log):
    """xdist's load-scope scheduler with `xdist_unit` as the scope, units in collection order (slow ones first)."""
    from xdist.scheduler import LoadScopeScheduling

    if hasattr(config, "option"):
        config.option.loadscopereorder = False  # xdist's "most tests first" would start the slowest units last

    class ByFileAndNotebookChain(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    return ByFileAndNotebookChain(config, log)
