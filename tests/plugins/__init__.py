"""pytest plugins of this suite, loaded by tests/conftest.py (`pytest_plugins`): one job each, apart from the fixtures."""
