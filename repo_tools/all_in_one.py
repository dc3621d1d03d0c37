"""Generate notebooks/all_in_one.ipynb, the classroom notebook, from the five lesson notebooks.

On Colab each notebook opened from its badge runs in its own runtime; a class can instead open this one
notebook and run the five lessons top to bottom in one runtime. It is generated, never edited by hand:
`make all-in-one` (or `python -m repo_tools.all_in_one`) rewrites it, and a test fails when it is stale.

The generator keeps every cell of the five notebooks, in order and with its id (translations map cells
by id), except each notebook's Colab install cell, its "## Parameters" heading and its parameters cell:
one install cell and one parameters cell (every parameter once, the first notebook's default winning)
stand at the top instead, and only the first lesson's parameter check is kept (it checks them all). Its
metadata asks Colab for a GPU runtime (`colab_links.with_runtime`), as `make colab-links` writes it.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

from repo_tools import colab_links
from ner_helpers.parameters import ALL_IN_ONE, parameters_cell, parameters_of
from repo_tools.notebooks import LESSONS, NOTEBOOK_DIR, is_install_cell, is_parameters_cell, notebook_path, python_source

ROOT = NOTEBOOK_DIR.parent
OUTPUT = NOTEBOOK_DIR / "all_in_one.ipynb"
JA_DIR = NOTEBOOK_DIR / "ja"  # the Japanese edition's lessons (repo_tools/ja_edition.py): its classroom notebook too

TITLE = """# WNUT 17 named-entity recognition: the five lessons in one notebook

{badge}

For a classroom: notebooks 01 to 05 in order, in **one runtime**, run top to bottom (Runtime > Run all).
The lessons are the same as in the five notebooks; their parameters are gathered in one cell below.

*This notebook is generated from `notebooks/01_load_data.ipynb` ... `05_inference.ipynb` by `make all-in-one`;
edit those, not this one.*"""
PARAMETERS_MD = """## Parameters

The parameters of all five lessons, each once (papermill and `make run` can set them too). On Colab,
`artifacts_dir` is kept on your Google Drive (each lesson's first cell mounts it), so a disconnect loses nothing."""
TITLE_JA = """# WNUT 17 の固有表現認識: 五つのレッスンを一つのノートブックで

{badge}

授業向けに、ノートブック 01 から 05 を順に **一つのランタイム** で上から下まで実行します（ランタイム > すべてのセルを実行）。
レッスンの中身は五つのノートブックと同じで、パラメーターは下の一つのセルにまとめてあります。

*このノートブックは `notebooks/ja/01_load_data.ipynb` ... `05_inference.ipynb` から `make all-in-one` で生成しています。
編集するのはそちら（とその翻訳ファイル）で、このファイルではありません。*"""
PARAMETERS_MD_JA = """## パラメーター

五つのレッスンのパラメーターを一度ずつ並べています（papermill と `make run` でも指定できます）。Colab では
`artifacts_dir` を Google ドライブに置くので（各レッスンの最初のセルがマウントします）、接続が切れても何も失いません。"""
EDITIONS = {OUTPUT: (NOTEBOOK_DIR, TITLE, PARAMETERS_MD), JA_DIR / "all_in_one.ipynb": (JA_DIR, TITLE_JA, PARAMETERS_MD_JA)}



def _assigned_names(source: str) -> set[str]:
    """Names a code cell assigns at top level (IPython magics and shell lines are skipped)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(python_source(source))):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


_CHECK = re.compile(r'check_notebook\("(\w+)", globals\(\)\)')


def _one_parameter_check(source: str, first: bool) -> str:
    """In one kernel the parameters cell sets every lesson's parameters: the first lesson's check covers them all
    (`check_notebook("all_in_one", ...)`); the later lessons' checks would only repeat it, so they go."""
    if not _CHECK.search(source):
        return source
    if first:
        return _CHECK.sub(f'check_notebook("{ALL_IN_ONE}", globals())', source)
    lines = [line for line in source.splitlines() if not _CHECK.search(line) and "import check_notebook" not in line]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def build(output: Path = OUTPUT) -> nbformat.NotebookNode:
    """The all-in-one notebook `output` (English or Japanese, EDITIONS), built from its five lessons as they are on disk."""
    lesson_dir, title_text, parameters_text = EDITIONS[output]
    lessons = [nbformat.read(notebook_path(name, lesson_dir), as_version=4) for name in LESSONS]
    install = next(cell for cell in lessons[0].cells if is_install_cell(cell))
    owner: dict[str, str] = {}
    body: list[nbformat.NotebookNode] = []
    for name, lesson in zip(LESSONS, lessons):
        cells = lesson.cells
        index = next(i for i, cell in enumerate(cells) if is_parameters_cell(cell))
        for parameter in parameters_of(name):
            owner.setdefault(parameter, name)
        skip = {index} | {i for i, cell in enumerate(cells) if is_install_cell(cell)}
        if index > 0 and cells[index - 1].cell_type == "markdown" and cells[index - 1].source.startswith("## Parameters"):
            skip.add(index - 1)
        for i, cell in enumerate(cells):
            if i in skip:
                continue
            cell = nbformat.from_dict(dict(cell))
            if cell.cell_type == "markdown" and i == 0:  # the lesson's own badge opens the lesson alone
                cell.source = "\n".join(line for line in cell.source.splitlines() if "colab-badge.svg" not in line)
                cell.source = re.sub(r"\n{3,}", "\n\n", cell.source)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                cell.source = _one_parameter_check(cell.source, first=name == LESSONS[0])
            body.append(cell)
    _check_no_lesson_overwrites_a_later_parameter(lessons, owner)

    notebook = nbformat.v4.new_notebook(metadata=colab_links.with_runtime(lessons[0].metadata, output))  # trains: a GPU runtime
    # The badge and the install cell follow the one setting of where the repository lives (make colab-links).
    repo, branch = colab_links.read_setting()
    title = nbformat.v4.new_markdown_cell(title_text.format(badge=colab_links.badge(output, repo, branch)))
    title["id"] = "all-title"
    install = nbformat.from_dict(dict(install))
    install.source = colab_links.rewrite_install(install.source, repo, branch, colab_links.colab_pins())
    install.outputs, install.execution_count = [], None
    heading = nbformat.v4.new_markdown_cell(parameters_text)
    heading["id"] = "all-parameters-heading"
    merged = nbformat.v4.new_code_cell(parameters_cell(ALL_IN_ONE), metadata={"tags": ["parameters"]})
    merged["id"] = "all-parameters"
    notebook.cells = [title, install, heading, merged, *body]
    ids = [cell["id"] for cell in notebook.cells]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"Cell ids used in more than one lesson: {duplicates}. Give the new cells unique ids.")
    nbformat.validate(notebook)
    return notebook


def _check_no_lesson_overwrites_a_later_parameter(lessons: list[nbformat.NotebookNode], owner: dict[str, str]) -> None:
    """In one runtime a lesson that assigns a later lesson's parameter would change that lesson's input."""
    for position, (name, lesson) in enumerate(zip(LESSONS, lessons)):
        later = {p for p, o in owner.items() if LESSONS.index(o) > position}
        for cell in lesson.cells:
            if cell.cell_type != "code" or is_parameters_cell(cell):
                continue
            clash = _assigned_names(cell.source) & later
            if clash:
                raise ValueError(
                    f"{name}.ipynb, cell {cell.get('id')}: assigns {sorted(clash)}, a parameter of a later lesson; "
                    "in the all-in-one notebook that would change the later lesson's input. Rename the variable."
                )


def render(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str] | None = None) -> int:
    for output in EDITIONS:
        output.write_text(render(build(output)))
        print("wrote", output.relative_to(ROOT), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
