"""The workshop kit: a hidden, running solution for every exercise, student copies without them,
answer checks, and Colab badges and install cells generated from one setting (repo_tools/colab.toml).

CI runs the solution cells like every other cell: they are part of tests/expected_notebooks, which nbval
re-executes in this same pytest run.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from support import NOTEBOOKS_WITH_SOLUTIONS
from repo_tools import colab_links
from repo_tools.notebooks import is_install_cell
from repo_tools.student_notebooks import is_solution, student_copy, write_student_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = NOTEBOOKS_WITH_SOLUTIONS
EXERCISE_HEADINGS = ("Exercises", "演習")


def exercise_numbers(notebook: nbformat.NotebookNode) -> list[int]:
    """The numbers of the exercises listed after an "Exercises" heading in the notebook's markdown."""
    numbers = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for heading in EXERCISE_HEADINGS:
            if heading in cell.source:
                after = cell.source.split(heading, 1)[1]
                numbers += [int(n) for n in re.findall(r"^(\d+)\. ", after, flags=re.MULTILINE)]
                break
    return numbers


def solution_numbers(notebook: nbformat.NotebookNode) -> list[int]:
    """The exercise number in the `#@title` of each code cell tagged `solution`."""
    titles = [cell.source.splitlines()[0] for cell in notebook.cells if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])]
    return [int(re.findall(r"\d+", title)[-1]) for title in titles if re.findall(r"\d+", title)]


def missing_solutions(notebook: nbformat.NotebookNode) -> list[int]:
    return sorted(set(exercise_numbers(notebook)) - set(solution_numbers(notebook)))


def prose_length(text: str) -> int:
    """Words in English; Japanese has no spaces between words, so there two characters count as one word."""
    return len(text.split()) + len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", text)) // 2


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_every_exercise_has_a_solution_cell(path):
    notebook = nbformat.read(path, as_version=4)
    assert exercise_numbers(notebook), f"{name(path)}: no numbered exercises after an 'Exercises' heading"
    assert missing_solutions(notebook) == [], f"{name(path)}: exercises without a solution cell"


def test_a_missing_solution_is_reported():
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    notebook.cells = [cell for cell in notebook.cells if not cell.source.startswith("#@title Solution to exercise 2")]
    assert missing_solutions(notebook) == [2]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_solutions_are_hidden_in_jupyterlab_and_colab_and_introduced_by_prose(path):
    cells = nbformat.read(path, as_version=4).cells
    solutions = [i for i, cell in enumerate(cells) if "solution" in cell.metadata.get("tags", [])]
    assert solutions
    for i in solutions:
        cell = cells[i]
        assert cell.cell_type == "code"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.id
        assert cell.metadata.get("cellView") == "form", cell.id  # Colab shows a form: the title, code hidden
        assert cell.source.startswith("#@title "), cell.id
        prose = cells[i - 1]
        assert prose.cell_type == "markdown" and "solution-prose" in prose.metadata.get("tags", []), cell.id
        assert prose_length(prose.source) > 8, cell.id


def test_student_copies_drop_the_solutions_and_keep_every_other_cell(tmp_path):
    originals = sorted((ROOT / "notebooks").glob("*.ipynb"))
    out = ROOT / ".cache" / "student-drop"  # inside the repository: the copies' badges and links are computed from there
    written = write_student_notebooks(ROOT / "notebooks", out)
    assert [p.name for p in written] == [p.name for p in originals]
    for path in originals:
        original = nbformat.read(path, as_version=4)
        copy = nbformat.read(out / path.name, as_version=4)
        assert not any(is_solution(cell) or cell.source.startswith("#@title Solution") for cell in copy.cells), name(path)
        kept = [cell for cell in original.cells if not is_solution(cell)]
        assert len(kept) < len(original.cells)
        assert [c.id for c in copy.cells] == [c.id for c in kept], name(path)
        assert [c.source for c in copy.cells if c.cell_type == "code"] == [c.source for c in kept if c.cell_type == "code"]
        assert copy.metadata == original.metadata


def test_the_committed_student_copies_are_current():
    from repo_tools.student_notebooks import STUDENT_DIR

    written = write_student_notebooks(ROOT / "notebooks", ROOT / ".cache" / "student-check")
    assert sorted(p.name for p in STUDENT_DIR.glob("*.ipynb")) == sorted(p.name for p in written)
    for path in written:
        assert (STUDENT_DIR / path.name).read_text() == path.read_text(), f"notebooks/student/{path.name} is stale: run make regenerate"


def test_student_copy_keeps_the_answer_checks():
    notebook = nbformat.read(ROOT / "notebooks" / "01_load_data.ipynb", as_version=4)
    assert any("check_rarest_type(rarest_type" in cell.source for cell in student_copy(notebook).cells)


# Colab links: one setting, every notebook.

COPIES = colab_links.notebooks()


@pytest.mark.parametrize("path", COPIES, ids=name)
def test_badge_and_install_cell_agree_with_the_one_setting(path):
    # If this fails: `make colab-links` (it rewrites every notebook from repo_tools/colab.toml and requirements.txt).
    problems = [line for line in colab_links.disagreements() if line.startswith(name(path) + ":")]
    assert problems == []


def test_every_notebook_and_expected_copy_is_covered():
    assert set(NOTEBOOKS) <= set(COPIES)
    assert any("expected_notebooks" in p.parts for p in COPIES)


def pins_in(source: str) -> dict[str, str]:
    line = colab_links.PINS_LINE_RE.search(source).group(0)
    return dict(pin.split("==") for pin in line.split("-q", 1)[1].split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_install_cell_pins_the_versions_of_requirements_txt_and_keeps_colabs_torch(path):
    required = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            package, version = line.split("==")
            required[package.lower()] = version
    install = next(cell for cell in nbformat.read(path, as_version=4).cells if is_install_cell(cell))
    pins = pins_in(install.source)
    assert pins and "torch" not in pins
    assert {package: required.get(package.lower()) for package in pins} == pins
    assert {"transformers", "datasets", "seqeval", "accelerate"} <= set(pins)


def test_the_placeholder_names_no_possible_github_repository_and_readme_explains_it():
    owner = colab_links.PLACEHOLDER.split("/")[0]
    assert "_" in owner  # GitHub user and organisation names cannot contain "_"
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^#+ Colab links$", readme, flags=re.MULTILINE)
    assert "make colab-links REPO=" in readme


def fake_repository(tmp_path: Path) -> Path:
    """A copy of what `make colab-links` reads and writes, plus a translated notebook with an old install cell."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "artifacts"))
    shutil.copytree(ROOT / "tests" / "expected_notebooks", root / "tests" / "expected_notebooks")
    shutil.copy(ROOT / "requirements.txt", root / "requirements.txt")
    shutil.copy(colab_links.CONFIG, root / "colab.toml")
    notebook = nbformat.read(ROOT / "notebooks" / "01_load_data.ipynb", as_version=4)
    notebook.cells[0].source = notebook.cells[0].source.replace(
        colab_links.BADGE_RE.search(notebook.cells[0].source).group(0),
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/wnut17-ner/wnut17-ner/blob/main/notebooks/01_load_data.ipynb)",
    )
    install = next(cell for cell in notebook.cells if is_install_cell(cell))
    install.source = 'import sys\n\nif "google.colab" in sys.modules:\n    %pip install -q "ner_helpers @ git+https://github.com/wnut17-ner/wnut17-ner.git" seqeval'
    (root / "notebooks" / "ja").mkdir(exist_ok=True)  # the Japanese edition may already be there
    nbformat.write(notebook, root / "notebooks" / "ja" / "01_load_data.ipynb")
    return root


def test_make_colab_links_rewrites_every_notebook_from_one_setting(tmp_path):
    root = fake_repository(tmp_path)
    config = root / "colab.toml"
    assert any("notebooks/ja/01_load_data.ipynb" in line for line in colab_links.disagreements(root, config))

    colab_links.write_setting("someone/wnut17-fork", "spring-2027", config)
    changed = colab_links.apply(root, config)
    assert len(changed) == len(colab_links.notebooks(root))
    assert colab_links.disagreements(root, config) == []
    ja = nbformat.read(root / "notebooks" / "ja" / "01_load_data.ipynb", as_version=4)
    assert "https://colab.research.google.com/github/someone/wnut17-fork/blob/spring-2027/notebooks/ja/01_load_data.ipynb" in ja.cells[0].source
    expected = nbformat.read(root / "tests" / "expected_notebooks" / "03_train.ipynb", as_version=4)
    assert "/blob/spring-2027/notebooks/03_train.ipynb)" in expected.cells[0].source
    install = next(cell for cell in ja.cells if is_install_cell(cell))
    assert '"ner_helpers @ git+https://github.com/someone/wnut17-fork.git@spring-2027"' in install.source
    assert install.metadata["cellView"] == "form"  # Colab shows the form's title, not the code
    # Links to a helper's source follow the setting too: on GitHub once the repository has a home.
    lesson = "\n".join(c.source for c in nbformat.read(root / "notebooks" / "05_inference.ipynb", as_version=4).cells)
    assert "](https://github.com/someone/wnut17-fork/blob/spring-2027/ner_helpers/inference.py)" in lesson
    assert "](../ner_helpers/" not in lesson
    assert "wnut17-ner/wnut17-ner" not in install.source

    # A notebook edited by hand disagrees, and the check names it.
    path = root / "notebooks" / "02_preprocess.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = notebook.cells[0].source.replace("someone/wnut17-fork", "someone/else")
    nbformat.write(notebook, path)
    assert [line.split(":")[0] for line in colab_links.disagreements(root, config)] == ["notebooks/02_preprocess.ipynb"]

    # Back to the placeholder: badges lead to README's explanation, relative to each notebook's folder.
    colab_links.write_setting(colab_links.PLACEHOLDER, "main", config)
    colab_links.apply(root, config)
    assert colab_links.disagreements(root, config) == []
    assert "](../../README.md#colab-links)" in nbformat.read(root / "notebooks" / "ja" / "01_load_data.ipynb", as_version=4).cells[0].source
    assert "](../README.md#colab-links)" in nbformat.read(root / "notebooks" / "01_load_data.ipynb", as_version=4).cells[0].source
    # ... and source links point at the file beside the notebook, one folder further up from notebooks/ja/.
    lesson = "\n".join(c.source for c in nbformat.read(root / "notebooks" / "05_inference.ipynb", as_version=4).cells)
    assert "](../ner_helpers/inference.py)" in lesson and "github.com/someone" not in lesson
    ja = "\n".join(c.source for c in nbformat.read(root / "notebooks" / "ja" / "01_load_data.ipynb", as_version=4).cells)
    assert "](../../ner_helpers/data.py)" in ja and "github.com/wnut17-ner" not in ja


def test_a_malformed_repo_setting_is_refused_with_what_to_type(tmp_path):
    config = tmp_path / "colab.toml"
    shutil.copy(colab_links.CONFIG, config)
    with pytest.raises(SystemExit, match="owner/name"):
        colab_links.write_setting("https://github.com/someone/fork", "main", config)


# The answer checks say right or not yet.

def test_rarest_type_check(capsys):
    from ner_helpers.data import load_wnut17
    from ner_helpers.exercises import check_rarest_type, rarest_entity_types

    train = load_wnut17(ROOT / "tests" / "data" / "sample_wnut17")["train"]
    rarest = rarest_entity_types(train)
    commonest = max(["person", "location", "group"], key=lambda t: (t not in rarest, t))
    check_rarest_type(rarest[0].upper(), train)
    check_rarest_type(commonest, train)
    check_rarest_type(None, train)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "right" and lines[1].startswith("not yet") and "replace None" in lines[2]


def test_token_count_check(tiny_tokenizer, capsys):
    from ner_helpers.exercises import check_token_count

    words = ["@paulwalk", "loves", "#NYC"]
    count = len(tiny_tokenizer(words, is_split_into_words=True)["input_ids"])
    check_token_count(count, words, tiny_tokenizer)
    check_token_count(len(words), words, tiny_tokenizer)  # forgets the special tokens and the pieces
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "right" and lines[1].startswith("not yet: too few")


def test_largest_error_category_check(capsys):
    from ner_helpers.analysis import categorize_errors
    from ner_helpers.exercises import check_largest_error_category

    tokens = [["Paul", "met", "Anna", "in", "Rome"]]
    gold = [["B-person", "O", "B-person", "O", "B-location"]]
    pred = [["O", "O", "O", "O", "B-person"]]  # two missed, one wrong type
    errors = categorize_errors(tokens, gold, pred)
    check_largest_error_category("missed", errors)
    check_largest_error_category("wrong type", errors)
    check_largest_error_category("typo", errors)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "right" and lines[1].startswith("not yet") and "name one of the categories" in lines[2]


def test_largest_error_category_accepts_either_of_a_tie(capsys):
    from ner_helpers.analysis import categorize_errors
    from ner_helpers.exercises import check_largest_error_category, largest_error_categories

    # Worked by hand: Paul tagged as a location (wrong type), Anna and Rome missed, "met" and "in" spurious:
    # missed 2 and spurious 2 tie, wrong type 1. Either of the tied categories is a right answer.
    tokens = [["Paul", "met", "Anna", "in", "Rome"]]
    gold = [["B-person", "O", "B-person", "O", "B-location"]]
    pred = [["B-location", "B-group", "O", "B-group", "O"]]
    errors = categorize_errors(tokens, gold, pred)
    assert sorted(error["category"] for error in errors) == ["missed", "missed", "spurious", "spurious", "wrong type"]
    assert largest_error_categories(errors) == ["missed", "spurious"]  # in ERROR_CATEGORIES' order
    check_largest_error_category("spurious", errors)
    check_largest_error_category("Missed ", errors)
    check_largest_error_category("wrong type", errors)
    assert capsys.readouterr().out.splitlines() == [
        "right", "right", "not yet: look at the 'total' column of error_summary(errors)"]


# Colab: the runtime type, the install cell's zip on Drive, what the install cell installs.

@pytest.mark.parametrize("path", COPIES, ids=name)
def test_notebooks_that_train_ask_colab_for_a_gpu_runtime_and_the_others_for_none(path):
    # If this fails: `make colab-links` (it writes the metadata of every notebook and expected copy).
    metadata = nbformat.read(path, as_version=4).metadata
    if path.stem in colab_links.GPU_NOTEBOOKS:
        assert metadata.get("accelerator") == "GPU"  # what Colab reads when it opens the notebook
        assert metadata.get("colab", {}).get("gpuType") == "T4"
    else:
        assert "accelerator" not in metadata and "gpuType" not in metadata.get("colab", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_every_notebook_that_calls_trainer_train_is_a_gpu_notebook(path):
    code = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    if re.search(r"\btrainer\.train\(", code):
        assert path.stem in colab_links.GPU_NOTEBOOKS, f"{name(path)} trains: add it to colab_links.GPU_NOTEBOOKS"


def test_make_colab_links_writes_the_gpu_metadata_and_all_in_one_builds_the_same(tmp_path):
    from repo_tools import all_in_one

    root = fake_repository(tmp_path)
    colab_links.apply(root, root / "colab.toml")
    train = nbformat.read(root / "notebooks" / "03_train.ipynb", as_version=4).metadata
    assert train["accelerator"] == "GPU" and train["colab"]["gpuType"] == "T4" and "kernelspec" in train
    assert "accelerator" not in nbformat.read(root / "notebooks" / "01_load_data.ipynb", as_version=4).metadata
    assert colab_links.disagreements(root, root / "colab.toml") == []
    built = all_in_one.build().metadata
    assert (built["accelerator"], built["colab"]["gpuType"]) == ("GPU", "T4")
    # A notebook that no longer trains loses the request (and keeps its other Colab settings).
    metadata = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}, "kernelspec": {}}
    assert colab_links.with_runtime(metadata, Path("notebooks/01_load_data.ipynb")) == {"colab": {"provenance": []}, "kernelspec": {}}


def test_an_install_cell_with_older_code_is_replaced_and_one_with_translated_comments_is_kept():
    pins = colab_links.colab_pins()
    current = colab_links.install_cell(colab_links.PLACEHOLDER, "main", pins)
    older = current.replace("drive.mount(", "print(")
    assert colab_links.rewrite_install(older, colab_links.PLACEHOLDER, "main", pins) == current
    translated = current.replace("#@title Colab setup: the pinned releases", "#@title Colab の準備: requirements.txt の版")
    assert translated != current
    assert colab_links.rewrite_install(translated, colab_links.PLACEHOLDER, "main", pins) == translated


# The highest lower bound the installed pins set on each package the install cell leaves as Colab ships it.
# These are years old, so Colab meets them. When a pin raises one (as datasets 5.2.0 did for pyarrow, to 24),
# this test fails: check the version Colab ships; if it is older, remove the package from COLAB_KEEPS so
# that the install cell installs it, and record the new floor here.
FLOORS_COLAB_MEETS = {"numpy": "1.17", "pyyaml": "5.1", "tqdm": "4.66.3", "torch": "2.0.0", "scikit-learn": "0.21.3", "requests": "2.19.0"}


def floors_on_kept_packages() -> dict[str, str]:
    from importlib.metadata import requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    kept = {canonicalize_name(package) for package in colab_links.COLAB_KEEPS}
    floors: dict[str, str] = {}
    for pin in colab_links.colab_pins():
        for line in requires(pin.split("==")[0]) or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            package = canonicalize_name(requirement.name)
            lows = [spec.version for spec in requirement.specifier if spec.operator in (">=", ">", "~=", "==")]
            if package in kept and lows:
                floors[package] = max([*lows, floors.get(package, "0")], key=Version)
    return floors


def test_the_install_cell_installs_what_the_pins_need_newer_than_colab_ships():
    pins = {pin.split("==")[0] for pin in colab_links.colab_pins()}
    assert "pyarrow" in pins and "pyarrow" not in colab_links.COLAB_KEEPS  # datasets 5.2.0: pyarrow>=24.0.0
    assert floors_on_kept_packages() == FLOORS_COLAB_MEETS


# docs/workshop.md agrees with the notebooks.

WORKSHOP = ROOT / "docs" / "workshop.md"


def workshop_spans() -> list[str]:
    """The inline code spans of docs/workshop.md (a `\\|` inside a table cell is a `|`)."""
    return [span.replace("\\|", "|") for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", WORKSHOP.read_text())]


def headings(path: Path) -> list[str]:
    """A notebook's section titles without their numbers ("## 6. Train" -> "Train")."""
    titles = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            titles += [re.sub(r"^\d+\.\s+", "", t).strip() for t in re.findall(r"^#{1,3} (.+)$", cell.source, flags=re.MULTILINE)]
    return titles


def test_workshop_names_notebooks_and_sections_that_exist():
    text = WORKSHOP.read_text()
    for notebook in set(re.findall(r"\b(0\d_[a-z_]+[a-z]|all_in_one)\b", text)):
        assert (ROOT / "notebooks" / f"{notebook}.ipynb").exists(), notebook
    # `03_train's "Train" section`, or `01_load_data, "A" and "B" sections` (the rehearsal script)
    sections = re.findall(r"\b(0\d_[a-z_]+[a-z])'s \"([^\"]+)\" section", text)
    for notebook, title in re.findall(r"(0\d_[a-z_]+[a-z]), ((?:\"[^\"]+\"(?: and |, )?)+) sections?", text):
        sections += [(notebook, t) for t in re.findall(r"\"([^\"]+)\"", title)]
    assert sections, "docs/workshop.md names no section (refer to sections by name, not number)"
    for notebook, title in sections:
        assert title in headings(ROOT / "notebooks" / f"{notebook}.ipynb"), f"{notebook} has no section {title!r}"
    assert not re.search(r"\bsection \d", text), "refer to a notebook's sections by name: their numbers change"


def test_workshop_names_parameters_and_functions_that_exist():
    import importlib

    from repo_tools.notebooks import LESSONS, declared_names

    parameters = declared_names(LESSONS)
    code = "\n".join(cell.source for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    helpers = {n for module in (ROOT / "ner_helpers").glob("*.py") for n in re.findall(r"^def (\w+)", module.read_text(), flags=re.MULTILINE)}
    for span in workshop_spans():
        assignment = re.fullmatch(r"([a-z_]\w*) = .+", span)
        if assignment and not span.startswith("from "):
            assert assignment.group(1) in parameters, f"docs/workshop.md sets {assignment.group(1)!r}, which no notebook declares"
        call = re.fullmatch(r"(?:[\w.]+\.)?([a-z_]\w*)\(.*\)", span)
        if call:
            assert call.group(1) in helpers or f"{call.group(1)}(" in code, f"docs/workshop.md calls {span!r}, found nowhere"
        dotted = re.fullmatch(r"ner_helpers\.(\w+)(?:\.(\w+))?", span)
        if dotted:
            module = importlib.import_module(f"ner_helpers.{dotted.group(1)}")
            assert dotted.group(2) is None or hasattr(module, dotted.group(2)), span


def test_workshop_drive_folder_is_the_one_the_notebooks_use_and_nothing_asks_to_edit_artifacts_dir():
    from ner_helpers.colab import DRIVE_FOLDER

    text = WORKSHOP.read_text()
    folders = set(re.findall(r"MyDrive/[\w.-]+", text))
    assert folders == {DRIVE_FOLDER}
    assert not re.search(r"artifacts_dir\s*=\s*[\"']/content", text)  # Drive is automatic: nobody sets artifacts_dir by hand


def printed_patterns() -> list[re.Pattern]:
    """A regular expression for each message the lesson code can print: print() calls and f-strings of
    ner_helpers and of the notebooks' code cells, with every computed part matching anything."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    sources = [module.read_text() for module in (ROOT / "ner_helpers").glob("*.py")]
    sources += [TransformerManager().transform_cell(cell.source) for path in NOTEBOOKS
                for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    sources.append(colab_links.install_cell(colab_links.PLACEHOLDER, "main", []).replace("%pip", "pass  #"))

    def pattern(node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return re.escape(node.value)
        if isinstance(node, ast.JoinedStr):
            return "".join(pattern(value) for value in node.values)
        return ".+?"

    patterns = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print" and node.args:
                patterns.append(" ".join(pattern(arg) for arg in node.args))
            elif isinstance(node, ast.JoinedStr):
                patterns.append(pattern(node))
    # A message with too little fixed text ("{a} {b}") would match any line: it proves nothing.
    return [re.compile(p, re.DOTALL) for p in patterns if len(re.sub(r"\\(.)", r"\1", p.replace(".+?", ""))) >= 8]


def reference_outputs() -> str:
    texts = []
    for path in sorted((ROOT / "reference-run").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


def test_rehearsal_script_expects_what_the_notebooks_print():
    text = WORKSHOP.read_text()
    script = text.split("## Rehearsal script", 1)[1].split("\n## ", 1)[0]
    rows = [row for row in script.splitlines() if re.match(r"\| \d+ \|", row)]
    assert len(rows) >= 8
    patterns, outputs = printed_patterns(), reference_outputs()
    expected = [span.replace("\\|", "|") for row in rows for span in re.findall(r"`([^`]+)`", row.rsplit(" | ", 1)[1])]
    assert len(expected) >= 10
    for line in expected:
        if line == "trainer.train()" or line.endswith("..."):  # a call to time, and a line whose numbers vary
            continue
        found = line in outputs or any(p.fullmatch(line) for p in patterns)
        assert found, f"docs/workshop.md, rehearsal script: nothing prints {line!r} (not in reference-run/, nor a message of the code)"


def test_readme_colab_section_names_what_the_install_cell_installs_and_when_to_restart():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## On Colab", 1)[1].split("\n### ", 1)[0]
    for pin in colab_links.colab_pins():
        package, version = pin.split("==")
        assert package in section, f"README's Colab section does not say that the install cell installs {package}"
    pyarrow = dict(pin.split("==") for pin in colab_links.colab_pins())["pyarrow"]
    assert f"pyarrow {pyarrow}" in section and "Runtime > Restart session" in section
    assert "keeps Colab's torch" in section and "pyarrow" not in section.split("keeps Colab's torch", 1)[1].split(";")[0]


# Every number docs/workshop.md gives about a notebook is read here from the notebook (or the code it runs),
# so that changing the notebook without the guide (or the other way round) fails.

TRAIN_NOTEBOOK = ROOT / "notebooks" / "03_train.ipynb"


def code_of(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def solution_sources(path: Path) -> dict[int, str]:
    """Each solution cell's source, by the exercise number in its `#@title`."""
    cells = nbformat.read(path, as_version=4).cells
    solutions = [cell.source for cell in cells if cell.cell_type == "code" and is_solution(cell)]
    return {int(re.findall(r"\d+", source.splitlines()[0])[-1]): source for source in solutions}


def cpu_subset(source: str) -> tuple[int, int, int]:
    """(training sentences, validation sentences, epochs) a notebook 03 solution trains on without a GPU."""
    from ner_helpers import exercises

    subset = re.search(r"^\s*subset = None if torch\.cuda\.is_available\(\) else (\w+)", source, flags=re.MULTILINE)
    epochs = re.search(r"num_train_epochs if subset is None else (\w+)", source)
    assert subset and epochs, "notebook 03's solution no longer sets its CPU subset as `subset = ... else NAME`: update this test"
    return (*getattr(exercises, subset.group(1)), getattr(exercises, epochs.group(1)))


def workshop_table_rows(section: str) -> dict[str, list[str]]:
    """The rows of the first table under a `## section` of docs/workshop.md, by their first cell."""
    body = WORKSHOP.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split(" | ")] for line in body.splitlines() if line.startswith("| ")]
    return {row[0]: row for row in rows[2:]}  # after the header and the --- line


def training_arguments() -> dict[str, object]:
    """The keywords of notebook 03's `TrainingArguments(...)` call: literal values as values, the rest as source."""
    import ast

    for source in code_of(TRAIN_NOTEBOOK):
        for node in ast.walk(ast.parse(source)) if "TrainingArguments(" in source else []:
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "TrainingArguments":
                return {k.arg: ast.literal_eval(k.value) if isinstance(k.value, ast.Constant) else ast.unparse(k.value)
                        for k in node.keywords if k.arg}
    raise AssertionError("notebook 03 has no TrainingArguments(...) call")


def test_workshop_gives_notebook_03s_exercise_rate_and_cpu_subset():
    solutions = solution_sources(TRAIN_NOTEBOOK)
    divisor = int(re.search(r"learning_rate / (\d+)", solutions[1]).group(1))
    summary = next(cell.source for cell in nbformat.read(TRAIN_NOTEBOOK, as_version=4).cells
                   if cell.cell_type == "markdown" and "**Exercises**" in cell.source)
    assert f"learning rate {divisor} times smaller" in summary  # the exercise asks what its solution runs
    subsets = {cpu_subset(source) for source in solutions.values()}
    assert len(subsets) == 1, f"notebook 03's solutions train on different CPU subsets {subsets}: docs/workshop.md gives one"
    train, validation, epochs = subsets.pop()

    row = " | ".join(workshop_table_rows("What each notebook teaches, and its exercises")["03_train"])
    assert f"learning rate {divisor} times smaller" in row, f"docs/workshop.md, 03_train row: the exercise's rate is {divisor} times smaller"
    stated = re.search(r"CPU: ([\d,]+) training and ([\d,]+) validation sentences, (\d+) epochs", row)
    assert stated, "docs/workshop.md, 03_train row: say 'CPU: N training and M validation sentences, E epochs'"
    assert tuple(int(n.replace(",", "")) for n in stated.groups()) == (train, validation, epochs), (
        f"docs/workshop.md, 03_train row: notebook 03's solutions train on {train} training and {validation} "
        f"validation sentences for {epochs} epochs on a CPU")


def test_every_learning_rate_in_the_workshop_guide_is_one_notebook_03_uses():
    from ner_helpers.training import CHECKPOINT_RECIPES, GUIDE_RECIPE

    rates = {GUIDE_RECIPE["learning_rate"]} | {recipe["learning_rate"] for recipe in CHECKPOINT_RECIPES.values()}
    for rate in re.findall(r"\b\d(?:\.\d+)?e-\d+\b", WORKSHOP.read_text()):
        assert float(rate) in rates, f"docs/workshop.md gives a learning rate {rate}; notebook 03's recipes use {sorted(rates)}"


def test_workshop_exercise_numbers_are_the_notebooks():
    for notebook, row in workshop_table_rows("What each notebook teaches, and its exercises").items():
        numbers = [int(n) for n in re.findall(r"(?:^|; )(\d+)\. ", row[2])]
        expected = exercise_numbers(nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4))
        assert numbers == expected, f"docs/workshop.md lists exercises {numbers} of {notebook}, which has {expected}"


def test_workshop_says_gpu_times_are_not_measured_while_the_reference_run_has_none():
    reference = "\n".join(output.get("text", "") for cell in nbformat.read(ROOT / "reference-run" / "03_train.ipynb", as_version=4).cells
                          for output in cell.get("outputs", []))
    if "device: cuda" in reference:
        pytest.skip("the reference run has a GPU timing: docs/workshop.md may give it")
    text = WORKSHOP.read_text()
    how_long = text.split("## How long each notebook takes", 1)[1].split("\n## ", 1)[0]
    assert "**GPU:** not measured" in how_long
    assert "timings above" not in text  # no pointer to a GPU timing that does not exist


def test_workshop_checkpoint_facts_are_notebook_03s():
    keywords = training_arguments()
    spans = workshop_spans()
    limits = [int(m.group(1)) for span in spans if (m := re.fullmatch(r"save_total_limit=(\d+)", span))]
    assert limits == [keywords.get("save_total_limit")], f"notebook 03 sets save_total_limit={keywords.get('save_total_limit')}"
    assert keywords.get("load_best_model_at_end") is True and "load_best_model_at_end" in spans
    # The doc sizes checkpoints with AdamW's state: notebook 03 must not save the weights alone.
    assert "save_only_model" not in keywords, "notebook 03 sets save_only_model: docs/workshop.md sizes checkpoints with AdamW's state"
    readme = (ROOT / "README.md").read_text()
    assert f'metric_for_best_model="{keywords["metric_for_best_model"]}"' in readme  # README's differences from the guide


def test_workshop_drive_sizes_are_computed_from_the_default_models_parameter_count():
    import torch
    from transformers import AutoModelForTokenClassification, DistilBertConfig

    from ner_helpers.data import WNUT17_LABELS
    from ner_helpers.training import GUIDE_RECIPE

    default = re.search(r'^model_checkpoint: str = "([^"]+)"', "\n".join(code_of(ROOT / "notebooks" / "02_preprocess.ipynb")), flags=re.MULTILINE)
    assert default and default.group(1) == "distilbert/distilbert-base-uncased", "the sizes below are DistilBERT's"
    with torch.device("meta"):  # counts parameters without allocating them; DistilBertConfig() is distilbert-base-uncased's
        model = AutoModelForTokenClassification.from_config(DistilBertConfig(num_labels=len(WNUT17_LABELS)))
    parameters = sum(p.numel() for p in model.parameters())
    weights_mb = parameters * 4 / 1e6  # fp32, as Trainer saves it
    checkpoint_gb = parameters * (4 + 8) / 1e9  # plus AdamW's two moments per parameter
    epochs = int(GUIDE_RECIPE["num_train_epochs"])
    limit = training_arguments()["save_total_limit"]
    # transformers keeps the latest and the best checkpoint while training, and only the best (limit 1) at the end.
    assert limit == 1, "the sizes below assume save_total_limit=1"
    run_gb = weights_mb / 1e3 + checkpoint_gb  # model/ plus the best checkpoint
    training_gb = min(epochs, 2) * checkpoint_gb  # the latest and the best while training
    section = WORKSHOP.read_text().split("### What a DistilBERT run leaves on Google Drive", 1)[1].split("\n## ", 1)[0]
    section = " ".join(section.split())  # line breaks fall anywhere in a paragraph
    assert f"{len(WNUT17_LABELS)} WNUT 17 labels has {parameters / 1e6:.1f} million parameters" in section
    assert f"about {weights_mb:.0f} MB" in section  # model/
    assert f"about {checkpoint_gb:.1f} GB each" in section
    assert f"default {epochs} epochs leaves about {run_gb:.1f} GB" in section
    assert f"up to {training_gb:.1f} GB" in section
