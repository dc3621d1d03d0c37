"""What runs the repository, not what the notebooks teach: `make run` (runner), `make bench` (bench),
and the tiny test model (tiny_model). The lesson's helpers are in `ner_helpers`."""
