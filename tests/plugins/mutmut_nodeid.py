"""`make mutation`'s patch: give each test the `_nodeid` attribute mutmut reads.

Why it exists: mutmut 3.8 records which tests reach which function by `item._nodeid`, a private attribute pytest 9
no longer sets; without it every mutant counts as untested. Only under mutmut (MUTANT_UNDER_TEST set); drop this file
once mutmut reads `item.nodeid` (docs/mutation.md).
"""
from __future__ import annotations

import os


def pytest_collection_modifyitems(items):
    if os.environ.get("MUTANT_UNDER_TEST") is not None:
        for item in items:
            if not hasattr(item, "_nodeid"):
                item._nodeid = item.nodeid
