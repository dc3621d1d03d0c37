"""What runs the repository, not what the notebooks teach: `make run` (runner), `make bench` (bench),
`make expected-notebooks` (expected_notebooks), ... The lesson's helpers are in `ner_helpers`; test
fixtures (the tiny model) are in tests/."""
