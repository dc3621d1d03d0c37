"""Colab badges, install cells, source links and runtime type of every notebook, generated from one setting: `make colab-links`.

The setting is repo_tools/colab.toml (`repo`, `branch`); the pinned releases come from requirements.txt.
`python -m repo_tools.colab_links --repo owner/name --branch main` writes the setting and rewrites every
notebooks/**/*.ipynb and tests/expected_notebooks/**/*.ipynb; without arguments it re-applies the
current setting (after requirements.txt changed, say). `--check` only reports disagreements. Notebooks
that train (GPU_NOTEBOOKS) also get metadata that opens them on a Colab GPU runtime.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tomllib
from pathlib import Path

import nbformat

from ner_helpers.colab import COLAB_DRIVE_MOUNT, DRIVE_FOLDER
from repo_tools.notebooks import is_install_cell

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "colab.toml"
PLACEHOLDER = "YOUR_GITHUB_USER/wnut17-ner"
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
README_ANCHOR = "README.md#colab-links"
# Not installed on Colab: torch and the scientific stack Colab ships and its own packages depend on,
# and the tools that run and test the repository rather than the lesson. A package Colab ships that a pin
# needs newer is installed instead: pyarrow, since datasets 5.2.0 requires pyarrow>=24.0.0
# (tests/test_workshop_kit.py lists the floors the pins set on the packages kept here).
COLAB_KEEPS = {"torch", "numpy", "pandas", "matplotlib", "scikit-learn", "requests", "tqdm", "pyyaml", "pillow", "gradio", "tensorboard"}
TOOLING = {"papermill", "nbformat", "nbclient", "ipykernel", "ipywidgets", "jupyterlab", "nbval", "pytest", "pytest-xdist", "mutmut", "selenium"}

BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*colab-badge\.svg\)\]\([^)]*\)")
# A link to a helper's source, `[`name`](<where>ner_helpers/module.py)`: on GitHub when the repository
# has a public home (Colab opens it there), else relative to the notebook (JupyterLab and GitHub's viewer open it).
SOURCE_LINK_RE = re.compile(r"\]\((?:https://github\.com/[^/)\s]+/[^/)\s]+/blob/[^/)\s]+/|(?:\.\./)+)(ner_helpers/\w+\.py(?:#L\d+)?)\)")
PINS_LINE_RE = re.compile(r'^    %pip install -q (?!--no-deps)(?!"ner_helpers).*$', re.MULTILINE)

# The install cell is a Colab form: Colab shows its #@title line and hides the code (cell metadata
# {"cellView": "form"}, as Colab saves a form). Elsewhere `make setup` has installed everything and the cell does
# nothing. Every line counts as plumbing in the lessons (repo_tools/lesson_size.py), so the cell stays this short.
FORM_METADATA = {"cellView": "form"}
INSTALL_TEMPLATE = """\
#@title Colab setup: the pinned releases, then ner_helpers (outside Colab this cell does nothing)
import sys
if "google.colab" in sys.modules:
    %pip install -q {pins}
{helpers}"""
# With a public repository: ner_helpers from GitHub. No braces or $ in it: IPython expands both in a %pip line.
FROM_GITHUB = '    %pip install -q --no-deps "ner_helpers @ git+https://github.com/{repo}.git@{branch}"'
# With the placeholder: a zip of the repository uploaded to /content, else kept in MyDrive/wnut17-ner/ on Drive
# (every runtime sees it; the lessons mount Drive a cell later anyway). %pip runs through bash, so the shell picks
# the first zip (`ls -U` keeps /content first); with none (or a broken one) pip fails and the echo says what to do.
# One line for the mount: each line of the cell is one more line of plumbing in every lesson.
FROM_ZIP = """\
    from google.colab import drive; drive.mount("{mount}")  # no public repository yet: ner_helpers from a zip of it
    %pip install --no-deps $(ls -U {content}/*.zip {drive_folder}/*.zip 2>/dev/null | head -1) || echo "ner_helpers is not \
installed: put a zip of the repository in {content} or in {drive_name}/ on Google Drive and rerun this cell \
(docs/colab.md, Without a public repository).\""""
# Notebooks that train ask Colab for a GPU runtime in their metadata: `accelerator` is what Colab reads
# when it opens a notebook, `colab.gpuType` the GPU it picks (what Colab itself saves after Runtime >
# Change runtime type > T4 GPU; T4 is the free tier's). Matched by name, so the Japanese edition and the
# expected copies of these notebooks get it too.
GPU_NOTEBOOKS = ("03_train", "all_in_one", "07_going_further_training")
GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4"}}


def read_setting(config: Path = CONFIG) -> tuple[str, str]:
    """(repo, branch) from colab.toml."""
    setting = tomllib.loads(config.read_text())
    return setting["repo"], setting["branch"]


def write_setting(repo: str, branch: str, config: Path = CONFIG) -> None:
    """Replace the repo and branch lines of colab.toml, keeping its comments."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise SystemExit(f"REPO must look like owner/name (a GitHub repository), not {repo!r}.")
    if not re.fullmatch(r"[A-Za-z0-9_./-]+", branch):
        raise SystemExit(f"BRANCH must be a git branch name, not {branch!r}.")
    text = config.read_text()
    text = re.sub(r'^repo = .*$', f'repo = "{repo}"', text, flags=re.MULTILINE)
    text = re.sub(r'^branch = .*$', f'branch = "{branch}"', text, flags=re.MULTILINE)
    config.write_text(text)


def colab_pins(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """`name==version` for each pin of requirements.txt that the install cell installs on Colab."""
    pins = []
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name = re.split(r"[=<>!~\[ ]", line)[0].lower()
        if name not in COLAB_KEEPS | TOOLING:
            pins.append(line)
    return pins


def source_path(notebook: Path, root: Path = ROOT) -> Path:
    """The notebooks/ path a notebook stands for (an expected copy stands for the notebook it copies)."""
    relative = notebook.resolve().relative_to(root)
    if relative.parts[:2] == ("tests", "expected_notebooks"):
        return Path("notebooks", *relative.parts[2:])
    return relative


def badge(notebook: Path, repo: str, branch: str, root: Path = ROOT) -> str:
    """The badge markdown: a Colab link, or with the placeholder a link to README's Colab links section."""
    path = source_path(notebook, root)
    if repo == PLACEHOLDER:
        target = os.path.relpath(root / README_ANCHOR.split("#")[0], root / path.parent) + "#" + README_ANCHOR.split("#")[1]
    else:
        target = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path.as_posix()}"
    return f"[![Open In Colab]({BADGE_SVG})]({target})"


def source_link(notebook: Path, target: str, repo: str, branch: str, root: Path = ROOT) -> str:
    """Where a link to `target` (ner_helpers/module.py) points from this notebook under the setting."""
    if repo == PLACEHOLDER:
        file, hash_sign, line = target.partition("#")
        return os.path.relpath(root / file, root / source_path(notebook, root).parent) + hash_sign + line
    return f"https://github.com/{repo}/blob/{branch}/{target}"


def rewrite_source_links(source: str, notebook: Path, repo: str, branch: str, root: Path = ROOT) -> str:
    return SOURCE_LINK_RE.sub(lambda m: f"]({source_link(notebook, m.group(1), repo, branch, root)})", source)


def install_cell(repo: str, branch: str, pins: list[str]) -> str:
    """The install cell's source: the pins, then ner_helpers from GitHub, or from a zip while `repo` is the placeholder."""
    if repo == PLACEHOLDER:
        content = COLAB_DRIVE_MOUNT.parent.as_posix()
        helpers = FROM_ZIP.format(mount=COLAB_DRIVE_MOUNT.as_posix(), content=content,
                                  drive_folder=(COLAB_DRIVE_MOUNT / DRIVE_FOLDER).as_posix(), drive_name=DRIVE_FOLDER)
    else:
        helpers = FROM_GITHUB.format(repo=repo, branch=branch)
    return INSTALL_TEMPLATE.format(pins=" ".join(pins), helpers=helpers)


def _code_only(source: str) -> list[str]:
    """The lines of a cell without comments (whole-line ones, and `  # ...` after code) or blank lines."""
    lines = (re.sub(r"\s+#[^\"']*$", "", line).rstrip() for line in source.splitlines() if not line.lstrip().startswith("#"))
    return [line for line in lines if line]


def rewrite_install(source: str, repo: str, branch: str, pins: list[str]) -> str:
    """The install cell for the setting: `source` itself when only its comments differ (they may be translated),
    else the generated cell."""
    wanted = install_cell(repo, branch, pins)
    return source if _code_only(source) == _code_only(wanted) else wanted


def as_form(metadata: dict) -> dict:
    """A copy of an install cell's metadata that makes Colab show it as a form (its title, the code hidden)."""
    return {**copy.deepcopy(dict(metadata)), **FORM_METADATA}


def wants_gpu(notebook: Path) -> bool:
    """Whether a notebook trains, so that Colab should open it on a GPU runtime (GPU_NOTEBOOKS, by name)."""
    return Path(notebook).stem in GPU_NOTEBOOKS


def with_runtime(metadata: dict, notebook: Path) -> dict:
    """A copy of a notebook's metadata asking Colab for a GPU runtime when it trains, and for none otherwise."""
    metadata = copy.deepcopy(dict(metadata))
    colab = dict(metadata.pop("colab", {}))
    metadata.pop("accelerator", None)
    colab.pop("gpuType", None)
    if wants_gpu(notebook):
        metadata["accelerator"] = GPU_METADATA["accelerator"]
        colab.update(GPU_METADATA["colab"])
    if colab:
        metadata["colab"] = colab
    return metadata


def notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook the setting applies to: notebooks/**/*.ipynb and their expected copies."""
    found = [*(root / "notebooks").rglob("*.ipynb"), *(root / "tests" / "expected_notebooks").rglob("*.ipynb")]
    return sorted(p for p in found if ".ipynb_checkpoints" not in p.parts)


def disagreements(root: Path = ROOT, config: Path = CONFIG) -> list[str]:
    """One line per notebook whose badge, install cell, source links or runtime metadata differ from the setting (empty: all agree)."""
    repo, branch = read_setting(config)
    pins = colab_pins(root / "requirements.txt")
    problems = []
    for path in notebooks(root):
        name = path.relative_to(root)
        notebook = nbformat.read(path, as_version=4)
        cells, metadata = notebook.cells, dict(notebook.metadata)
        badges = [BADGE_RE.search(c.source).group(0) for c in cells if c.cell_type == "markdown" and BADGE_RE.search(c.source)]
        if badges != [badge(path, repo, branch, root)]:
            problems.append(f"{name}: badge {badges or 'missing'} differs from the setting ({repo}@{branch})")
        installs = [c for c in cells if is_install_cell(c)]
        if (len(installs) != 1 or rewrite_install(installs[0].source, repo, branch, pins) != installs[0].source
                or as_form(installs[0].metadata) != dict(installs[0].metadata)):
            problems.append(f"{name}: install cell differs from the setting ({repo}@{branch}) or requirements.txt")
        if any(rewrite_source_links(c.source, path, repo, branch, root) != c.source for c in cells if c.cell_type == "markdown"):
            problems.append(f"{name}: a link to a helper's source differs from the setting ({repo}@{branch})")
        if with_runtime(metadata, path) != metadata:
            wanted = "a GPU runtime (it trains)" if wants_gpu(path) else "no accelerator"
            problems.append(f"{name}: notebook metadata should ask Colab for {wanted}")
    return problems


def apply(root: Path = ROOT, config: Path = CONFIG) -> list[Path]:
    """Rewrite every notebook's badge, install cell, source links and runtime metadata from the setting; returns the files changed."""
    repo, branch = read_setting(config)
    pins = colab_pins(root / "requirements.txt")
    changed = []
    for path in notebooks(root):
        notebook = nbformat.read(path, as_version=4)
        before = copy.deepcopy(([(c.source, dict(c.metadata)) for c in notebook.cells], dict(notebook.metadata)))
        notebook.metadata = nbformat.from_dict(with_runtime(notebook.metadata, path))
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source = BADGE_RE.sub(lambda _: badge(path, repo, branch, root), cell.source)
                cell.source = rewrite_source_links(cell.source, path, repo, branch, root)
            elif is_install_cell(cell):
                cell.source = rewrite_install(cell.source, repo, branch, pins)
                cell.metadata = nbformat.from_dict(as_form(cell.metadata))
        if ([(c.source, dict(c.metadata)) for c in notebook.cells], dict(notebook.metadata)) != before:
            nbformat.write(notebook, path)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", help="owner/name of the repository on GitHub")
    parser.add_argument("--branch", help="the branch Colab opens (default: keep the current one)")
    parser.add_argument("--check", action="store_true", help="only report notebooks that disagree with the setting")
    args = parser.parse_args(argv)
    if args.check:
        problems = disagreements()
        print("\n".join(problems) or "every badge, install cell and source link agrees with repo_tools/colab.toml")
        return 1 if problems else 0
    if args.repo or args.branch:
        repo, branch = read_setting()
        write_setting(args.repo or repo, args.branch or branch)
    for path in apply():
        print("rewrote", path.relative_to(ROOT))
    repo, branch = read_setting()
    print(f"badges and install cells now point at {repo}@{branch}" + (" (the placeholder)" if repo == PLACEHOLDER else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
