"""Generate the Japanese edition (notebooks/ja/) from the English notebooks and a translation file each.

    python -m repo_tools.ja_edition            # `make notebooks-ja`: regenerate notebooks/ja/*.ipynb
    python -m repo_tools.ja_edition --todo     # list markdown cells with no translation or a stale one
    python -m repo_tools.ja_edition --stamp 03_train 03-02   # after updating a translation: record the
                                                             # hash of the English text it now translates

One source of truth: code cells are copied from the English notebook, the same cells in the same order;
each markdown cell is replaced by its Japanese text from notebooks/ja/translations/<name>.yaml, found by
cell id. Each translation records the SHA-256 of the English text it translated, so when the English cell
changes, the translation is stale and generation stops, naming the cell. The Colab badge is not part of the
hash: the generator writes the Japanese notebook's own badge from the one setting of where the repository
lives (repo_tools/colab.toml, `make colab-links`), and makes relative links (`../reference-run/...`) work
one folder deeper.

One cell has no English source: the glossary (notebooks/ja/translations/glossary.yaml), which ties this
edition's words to the Japanese guide's. It is inserted after the first cell of the notebook the file names,
tagged `ja-only`, so that comparisons with the English notebook can leave it out.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import yaml

from repo_tools import colab_links

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
JA_DIR = NOTEBOOK_DIR / "ja"
TRANSLATIONS_DIR = JA_DIR / "translations"
GLOSSARY_FILE = "glossary.yaml"  # in TRANSLATIONS_DIR
JA_ONLY_TAG = "ja-only"  # the tag of a cell that only the Japanese edition has
# A markdown link whose target climbs out of notebooks/ (`](../README.md)`): one more level from notebooks/ja/.
RELATIVE_LINK = re.compile(r"\]\((\.\./)")


class TranslationError(Exception):
    """A markdown cell has no translation, or its translation was made from other English text."""


def english_notebooks() -> list[Path]:
    """The English notebooks that have a Japanese edition: every numbered notebook in notebooks/."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def source_hash(text: str) -> str:
    """SHA-256 of an English markdown cell, without the Colab badge and where source links point (`make colab-links` rewrites both)."""
    normalised = colab_links.BADGE_RE.sub("<badge>", text)
    normalised = colab_links.SOURCE_LINK_RE.sub(lambda m: f"](<source>{m.group(1)})", normalised)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def localise_links(ja_text: str, ja_notebook: Path) -> str:
    """The Japanese notebook's own Colab badge, and relative links that climb one more folder."""
    repo, branch = colab_links.read_setting()
    # Links first, badge second: with the placeholder setting the badge is itself a relative link
    # (to README's Colab section), already computed from notebooks/ja/, so it must not climb again.
    text = RELATIVE_LINK.sub(lambda m: "](../" + m.group(1), ja_text)
    text = colab_links.rewrite_source_links(text, ja_notebook, repo, branch)  # helper sources: as the setting says
    return colab_links.BADGE_RE.sub(lambda _: colab_links.badge(ja_notebook, repo, branch), text)


def translation_path(notebook: Path) -> Path:
    return TRANSLATIONS_DIR / f"{notebook.stem}.yaml"


def shown(path: Path) -> Path:
    """A path as messages print it: relative to the repository when it lies inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def load_translations(notebook: Path) -> dict[str, dict[str, str]]:
    path = translation_path(notebook)
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_glossary() -> dict[str, str] | None:
    """The glossary cell's setting (`notebook`, `id`, `ja`), or None when there is no glossary file."""
    path = TRANSLATIONS_DIR / GLOSSARY_FILE
    if not path.exists():
        return None
    glossary = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = [key for key in ("notebook", "id", "ja") if not glossary.get(key)]
    if missing:
        raise TranslationError(f"{shown(path)}: no {', '.join(missing)} (it needs notebook, id and ja).")
    return glossary


def japanese_only_cells(notebook: Path) -> list[tuple[int, Any]]:
    """(index, cell) of the cells the Japanese edition of `notebook` adds: the glossary, after the first cell."""
    glossary = load_glossary()
    if glossary is None or glossary["notebook"] != notebook.stem:
        return []
    text = localise_links(glossary["ja"].rstrip("\n"), JA_DIR / notebook.name)
    cell = nbformat.v4.new_markdown_cell(text, id=glossary["id"], metadata={"tags": [JA_ONLY_TAG]})
    return [(1, cell)]


def problems(notebook: Path) -> list[tuple[str, str, str]]:
    """(cell id, 'missing' or 'stale', English text) for every markdown cell the translation file does not cover."""
    translations = load_translations(notebook)
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        entry = translations.get(cell.id)
        if entry is None:
            found.append((cell.id, "missing", cell.source))
        elif entry.get("en_sha256") != source_hash(cell.source):
            found.append((cell.id, "stale", cell.source))
    return found


def build(notebook: Path) -> Any:
    """The Japanese notebook for one English notebook (raises TranslationError naming the cells to translate)."""
    wrong = problems(notebook)
    if wrong:
        cells = ", ".join(f"{cell_id} ({kind})" for cell_id, kind, _ in wrong)
        raise TranslationError(
            f"{notebook.name}: markdown cells without an up-to-date translation: {cells}. Translate them in "
            f"{shown(translation_path(notebook))} (`python -m repo_tools.ja_edition --todo` shows "
            "their English text and hash), then run `make notebooks-ja`."
        )
    translations = load_translations(notebook)
    english = nbformat.read(notebook, as_version=4)
    japanese = copy.deepcopy(english)
    for cell in japanese.cells:
        if cell.cell_type == "markdown":
            cell.source = localise_links(translations[cell.id]["ja"].rstrip("\n"), JA_DIR / notebook.name)
    for index, cell in japanese_only_cells(notebook):
        if any(c.id == cell.id for c in japanese.cells):
            raise TranslationError(f"{notebook.name}: the Japanese-only cell id {cell.id!r} is already a cell id there; choose another.")
        japanese.cells.insert(index, cell)
    japanese.metadata["language_info_note"] = "日本語版: repo_tools/ja_edition.py が英語版から生成（手で編集しないこと）"
    return japanese


def write_all(out_dir: Path = JA_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in english_notebooks():
        target = out_dir / notebook.name
        nbformat.write(build(notebook), target)
        written.append(target)
    return written


def todo() -> int:
    """Print, as YAML ready to fill in, every markdown cell whose translation is missing or stale."""
    count = 0
    for notebook in english_notebooks():
        for cell_id, kind, text in problems(notebook):
            count += 1
            print(f"# {shown(translation_path(notebook))} ({kind}); the English text:")
            print("\n".join("#   " + line for line in text.splitlines()))
            print(yaml.safe_dump({cell_id: {"en_sha256": source_hash(text), "ja": ""}}, allow_unicode=True, sort_keys=False))
    print(f"{count} cell(s) to translate", file=sys.stderr)
    return 1 if count else 0


def stamp(name: str, cell_ids: list[str]) -> int:
    """Record that the translations of these cells now match the English text (after a translator updated them)."""
    notebook = NOTEBOOK_DIR / f"{name}.ipynb"
    english = {cell.id: cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "markdown"}
    translations = load_translations(notebook)
    for cell_id in cell_ids:
        if cell_id not in english or not translations.get(cell_id, {}).get("ja"):
            print(f"{name}: no markdown cell {cell_id} with a Japanese text to stamp", file=sys.stderr)
            return 1
        translations[cell_id]["en_sha256"] = source_hash(english[cell_id])
    translation_path(notebook).write_text(dump_translations(translations), encoding="utf-8")
    return 0


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` block scalars, so a stamped file stays readable and diffs line by line."""

    def analyze_scalar(self, scalar: str) -> Any:
        # PyYAML treats a tab as a special character and then refuses block style, but a tab inside a line of a
        # block scalar is valid YAML (markdown code blocks of tab-separated CoNLL lines have them).
        analysis = super().analyze_scalar(scalar.replace("\t", " "))
        analysis.scalar = scalar
        return analysis


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_translations(translations: dict[str, dict[str, str]]) -> str:
    return yaml.dump(translations, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--todo", action="store_true", help="list cells to translate instead of generating")
    parser.add_argument("--stamp", nargs="+", metavar=("NOTEBOOK", "CELL_ID"),
                        help="record the current English hash for these cells of notebook NAME")
    args = parser.parse_args(argv)
    if args.todo:
        return todo()
    if args.stamp:
        return stamp(args.stamp[0], args.stamp[1:])
    try:
        for path in write_all():
            print("wrote", shown(path))
    except TranslationError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
