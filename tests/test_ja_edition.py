"""The Japanese edition: generated from the English notebooks and the translation files, never out of step."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from repo_tools import ja_edition

ENGLISH = ja_edition.english_notebooks()
JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_every_markdown_cell_has_an_up_to_date_translation(english):
    # If this fails: `python -m repo_tools.ja_edition --todo`, translate, `--stamp`, `make notebooks-ja`.
    assert ja_edition.problems(english) == []


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_committed_japanese_notebook_equals_a_fresh_generation(english):
    committed = ja_edition.JA_DIR / english.name
    assert committed.exists(), f"{committed} is missing: run `make notebooks-ja`"
    fresh = ja_edition.build(english).cells
    assert [(c.cell_type, c.source, c.metadata) for c in cells(committed)] == [
        (c.cell_type, c.source, c.metadata) for c in fresh
    ], f"{committed.name} is stale: run `make notebooks-ja`"


def translated(cells: list) -> list:
    """The cells that stand for an English cell: all but the Japanese-only ones (the glossary)."""
    return [cell for cell in cells if ja_edition.JA_ONLY_TAG not in cell.metadata.get("tags", [])]


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_code_cells_equal_the_english_ones_and_markdown_is_japanese(english):
    en, ja = cells(english), translated(cells(ja_edition.JA_DIR / english.name))
    assert [c.cell_type for c in ja] == [c.cell_type for c in en]
    assert [c.source for c in ja if c.cell_type == "code"] == [c.source for c in en if c.cell_type == "code"]
    for cell in ja:
        if cell.cell_type == "markdown":
            assert JAPANESE_SCRIPT.search(cell.source), f"{english.name} cell {cell.id} has no Japanese text"
    assert sum("parameters" in c.metadata.get("tags", []) for c in ja) == 1


def test_colab_badges_open_the_japanese_notebook(monkeypatch):
    monkeypatch.setattr(ja_edition.colab_links, "read_setting", lambda *_: ("me/fork", "dev"))
    text = ja_edition.localise_links("# 01\n\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](../README.md#colab-links)", ja_edition.JA_DIR / "01_load_data.ipynb")
    assert "https://colab.research.google.com/github/me/fork/blob/dev/notebooks/ja/01_load_data.ipynb" in text


def test_placeholder_badge_links_readme_from_the_japanese_folder(monkeypatch):
    monkeypatch.setattr(ja_edition.colab_links, "read_setting", lambda *_: (ja_edition.colab_links.PLACEHOLDER, "main"))
    text = ja_edition.localise_links("[![Open In Colab](x/colab-badge.svg)](../README.md#colab-links)", ja_edition.JA_DIR / "01_load_data.ipynb")
    assert text.endswith("](../../README.md#colab-links)")


def test_relative_links_climb_one_more_folder():
    text = ja_edition.localise_links("[参照](../reference-run/03_train.ipynb) と [02](02_preprocess.ipynb)", ja_edition.JA_DIR / "01_load_data.ipynb")
    assert text.endswith("[参照](../../reference-run/03_train.ipynb) と [02](02_preprocess.ipynb)")


def test_an_edited_english_cell_makes_its_translation_stale(tmp_path, monkeypatch):
    english = ENGLISH[0]
    shutil.copy(english, tmp_path / english.name)
    notebook = nbformat.read(tmp_path / english.name, as_version=4)
    edited = next(c for c in notebook.cells if c.cell_type == "markdown" and c.id != notebook.cells[0].id)
    edited.source += "\nOne more English sentence."
    nbformat.write(notebook, tmp_path / english.name)
    monkeypatch.setattr(ja_edition, "NOTEBOOK_DIR", tmp_path)
    (tmp_path / "ja").mkdir()
    shutil.copytree(ja_edition.TRANSLATIONS_DIR, tmp_path / "ja" / "translations")
    monkeypatch.setattr(ja_edition, "TRANSLATIONS_DIR", tmp_path / "ja" / "translations")
    monkeypatch.setattr(ja_edition, "JA_DIR", tmp_path / "ja")
    assert ja_edition.problems(tmp_path / english.name) == [(edited.id, "stale", edited.source)]
    with pytest.raises(ja_edition.TranslationError, match=f"{edited.id} \\(stale\\)"):
        ja_edition.build(tmp_path / english.name)


def test_a_new_english_cell_without_translation_is_named(tmp_path, monkeypatch):
    english = ENGLISH[0]
    notebook = nbformat.read(english, as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell("A new paragraph.", id="new-cell"))
    nbformat.write(notebook, tmp_path / english.name)
    assert ("new-cell", "missing", "A new paragraph.") in ja_edition.problems(tmp_path / english.name)


def test_the_badge_is_not_part_of_the_hash():
    en = "# 01\n\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/me/fork/blob/dev/notebooks/01_load_data.ipynb)\n\nText."
    assert ja_edition.source_hash(en) == ja_edition.source_hash(en.replace("me/fork/blob/dev", "x/y/blob/main"))
    assert ja_edition.source_hash(en) != ja_edition.source_hash(en.replace("Text.", "Other text."))


def test_source_links_are_not_part_of_the_hash():
    # `make colab-links` rewrites where a helper's source link points; the translation stays valid.
    en = "See [`f`](../ner_helpers/data.py#L3) here."
    assert ja_edition.source_hash(en) == ja_edition.source_hash(en.replace("../", "https://github.com/me/fork/blob/dev/"))
    assert ja_edition.source_hash(en) != ja_edition.source_hash(en.replace("data.py", "align.py"))


def test_translation_files_are_written_as_block_scalars_and_read_back_unchanged():
    entries = {"01-x": {"en_sha256": "0" * 64, "ja": "## 見出し\n\n```\nPeter\tB-PER            -DOCSTART- O\n                         visited O\n```\n"}}
    text = ja_edition.dump_translations(entries)
    assert "ja: |" in text and "\\n" not in text
    assert yaml.safe_load(text) == entries


# The glossary: one Japanese-only cell, from notebooks/ja/translations/glossary.yaml.

JAPANESE_GUIDE = "https://huggingface.co/docs/transformers/ja/tasks/token_classification"


def small_edition(tmp_path: Path, monkeypatch, glossary: dict | None) -> Path:
    """Two tiny English notebooks with their translations (and a glossary file) under tmp_path/notebooks."""
    notebooks = tmp_path / "notebooks"
    (notebooks / "ja" / "translations").mkdir(parents=True)
    for name in ("01_first", "02_second"):
        english = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_markdown_cell(f"# {name}", id=f"{name}-title"),
            nbformat.v4.new_code_cell("x = 1", id=f"{name}-code"),
            nbformat.v4.new_markdown_cell("See [the data](../README.md).", id=f"{name}-text"),
        ])
        nbformat.write(english, notebooks / f"{name}.ipynb")
        translations = {
            cell.id: {"en_sha256": ja_edition.source_hash(cell.source), "ja": f"{cell.source}（日本語）"}
            for cell in english.cells if cell.cell_type == "markdown"
        }
        (notebooks / "ja" / "translations" / f"{name}.yaml").write_text(ja_edition.dump_translations(translations), encoding="utf-8")
    if glossary is not None:
        (notebooks / "ja" / "translations" / ja_edition.GLOSSARY_FILE).write_text(yaml.safe_dump(glossary, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(ja_edition, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(ja_edition, "TRANSLATIONS_DIR", notebooks / "ja" / "translations")
    return notebooks


def test_the_glossary_stands_after_the_first_cell_of_the_notebook_it_names_and_nowhere_else(tmp_path, monkeypatch):
    glossary = {"notebook": "01_first", "id": "ja-glossary", "ja": f"## 用語集\n\n[ガイド]({JAPANESE_GUIDE}) と [README](../README.ja.md)\n"}
    small_edition(tmp_path, monkeypatch, glossary)
    written = ja_edition.write_all(out_dir=tmp_path / "out")
    assert [p.name for p in written] == ["01_first.ipynb", "02_second.ipynb"]
    first = cells(tmp_path / "out" / "01_first.ipynb")
    assert [c.id for c in first] == ["01_first-title", "ja-glossary", "01_first-code", "01_first-text"]
    assert first[1].cell_type == "markdown" and first[1].metadata["tags"] == [ja_edition.JA_ONLY_TAG]
    assert first[1].source == f"## 用語集\n\n[ガイド]({JAPANESE_GUIDE}) と [README](../../README.ja.md)"  # links climb from notebooks/ja/
    assert [c.id for c in translated(first)] == ["01_first-title", "01_first-code", "01_first-text"]
    assert "ja-glossary" not in [c.id for c in cells(tmp_path / "out" / "02_second.ipynb")]


def test_without_a_glossary_file_the_edition_has_only_translated_cells(tmp_path, monkeypatch):
    small_edition(tmp_path, monkeypatch, None)
    ja_edition.write_all(out_dir=tmp_path / "out")
    assert [c.id for c in cells(tmp_path / "out" / "01_first.ipynb")] == ["01_first-title", "01_first-code", "01_first-text"]


def test_a_glossary_without_text_or_with_a_taken_id_is_refused_by_name(tmp_path, monkeypatch):
    small_edition(tmp_path, monkeypatch, {"notebook": "01_first", "id": "ja-glossary"})
    with pytest.raises(ja_edition.TranslationError, match="glossary.yaml: no ja"):
        ja_edition.write_all(out_dir=tmp_path / "out")
    small_edition(tmp_path / "again", monkeypatch, {"notebook": "01_first", "id": "01_first-code", "ja": "## 用語集"})
    with pytest.raises(ja_edition.TranslationError, match="'01_first-code' is already a cell id"):
        ja_edition.write_all(out_dir=tmp_path / "again" / "out")


def test_the_glossary_names_a_notebook_links_the_japanese_guide_and_readme_ja_shows_the_same_table():
    glossary = ja_edition.load_glossary()
    assert glossary is not None and (ja_edition.NOTEBOOK_DIR / f"{glossary['notebook']}.ipynb").exists()
    assert JAPANESE_GUIDE in glossary["ja"] and "固有表現認識" in glossary["ja"]
    for words in ("微調整", "ファインチューニング", "エンティティ", "固有表現", "トークン分類"):
        assert words in glossary["ja"], words
    readme = (ja_edition.ROOT / "README.ja.md").read_text(encoding="utf-8")
    assert JAPANESE_GUIDE in readme
    rows = [line for line in glossary["ja"].splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 5
    assert [row for row in rows if row not in readme.splitlines()] == []  # one table, in both places


# README.ja.md is written, not generated: these tests keep it in step with README.md's structure.

README_EN, README_JA = ja_edition.ROOT / "README.md", ja_edition.ROOT / "README.ja.md"
JA_ONLY_HEADINGS = {"用語集"}  # the glossary of Japanese terms has no English counterpart
JA_ONLY_LINKS = {"notebooks/ja/translations/", "notebooks/ja/translations/glossary.yaml"}  # the glossary and its source


def readme_headings(path: Path) -> dict[int, int]:
    """How many headings of each level the README has (fenced code left out), without the Japanese-only ones."""
    from test_links import FENCE, HEADING

    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    counts: dict[int, int] = {}
    for line in text.splitlines():
        if HEADING.match(line) and line.lstrip("#").strip() not in JA_ONLY_HEADINGS:
            level = len(line) - len(line.lstrip("#"))
            counts[level] = counts.get(level, 0) + 1
    return counts


def readme_link_targets(path: Path) -> set[str]:
    """The README's link targets as one language's: anchors dropped, the Japanese notebooks and guide as the
    English ones, links between the two READMEs and within a page left out (their anchors differ by language)."""
    from test_links import links_in

    targets = set()
    for target in links_in(path.read_text(encoding="utf-8")):
        target = target.partition("#")[0]
        target = re.sub(r"^notebooks/ja/(?=\w+\.ipynb$)", "notebooks/", target)
        target = target.replace("huggingface.co/docs/transformers/ja/", "huggingface.co/docs/transformers/")
        if target and target not in {"README.md", "README.ja.md"}:
            targets.add(target)
    return targets


def notebook_table_rows(path: Path) -> list[str]:
    """The notebooks listed in the README's first table: the names its rows link."""
    table = path.read_text(encoding="utf-8").split("\n| ---", 1)[1].split("\n\n", 1)[0]
    return [re.search(r"\[(\w+)\]\(", row).group(1) for row in table.splitlines()[1:]]


def test_readme_ja_has_as_many_headings_of_each_level_as_readme():
    assert readme_headings(README_JA) == readme_headings(README_EN)


def test_readme_ja_lists_the_same_notebooks_in_its_table():
    assert notebook_table_rows(README_JA) == notebook_table_rows(README_EN)
    assert notebook_table_rows(README_EN) == sorted(p.stem for p in ja_edition.english_notebooks())  # every lesson


def test_readme_ja_links_what_readme_links():
    english, japanese = readme_link_targets(README_EN), readme_link_targets(README_JA) - JA_ONLY_LINKS
    assert english - japanese == set(), "README.ja.md does not link these"
    assert japanese - english == set(), "README.md does not link these"
