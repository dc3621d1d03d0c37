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


def xdist_unit(nodeid: str) -> str:
    """What one pytest-xdist worker runs as a whole under `make test`: a test file, so a module's fixtures
    are built once; the nbval notebook copies are one unit, as each reads what the one before it wrote."""
    path = nodeid.split("::")[0]
    return "tests/expected_notebooks" if path.startswith("tests/expected_notebooks/") else path


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown (and unused) where it is not loaded
def pytest_xdist_make_scheduler(config, log):
    """xdist's load-scope scheduler with `xdist_unit` as the scope."""
    from xdist.scheduler import LoadScopeScheduling

    class ByFileAndNotebookChain(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

    return ByFileAndNotebookChain(config, log)
