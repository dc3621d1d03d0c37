"""Every relative link in README, docs/ and the notebooks' markdown points at something that exists.

A link to a file or folder must find it (relative to the file that holds the link); a `#anchor` into a
markdown file or a notebook must find a heading there, by GitHub's slug rules. Links to a line of a source
file (`helpers.py#L109`) fail: the line moves as soon as the file above it changes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[`~]*[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(r"\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
LINE_ANCHOR = re.compile(r"^L\d+(?:C\d+)?(?:-L\d+(?:C\d+)?)?$")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "README.ja.md", *sorted((ROOT / "docs").glob("*.md"))]


def notebook_files() -> list[Path]:
    return sorted(
        path
        for path in (ROOT / "notebooks").rglob("*.ipynb")
        if not {".ipynb_checkpoints", "artifacts", "artifacts-scratch"} & set(path.relative_to(ROOT).parts)
    )


def markdown_of(path: Path) -> str:
    """The markdown text of a .md file, or of a notebook's markdown cells joined."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def without_code(text: str) -> str:
    """Fenced code blocks and inline code spans removed: what they hold is not a link."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links_in(text: str) -> list[str]:
    text = without_code(text)
    targets = [m.group(1) for m in INLINE_LINK.finditer(text)]
    targets += REFERENCE_LINK.findall(text) + HTML_LINK.findall(text)
    return [target[1:-1] if target.startswith("<") and target.endswith(">") else target for target in targets]


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", heading)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    """The anchors GitHub makes for a markdown file's headings (duplicates numbered), plus HTML ids."""
    text = markdown_of(path)
    anchors: set[str] = set(HTML_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        if path.suffix == ".ipynb":  # JupyterLab's own anchors keep the case and the punctuation
            anchors.add(heading.strip().replace(" ", "-"))
    return anchors


def broken_links(path: Path) -> list[str]:
    problems = []
    for target in links_in(markdown_of(path)):
        if SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        anchor = unquote(anchor)
        destination = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not destination.exists():
            problems.append(f"{target}: no such file or folder ({destination.relative_to(ROOT) if destination.is_relative_to(ROOT) else destination})")
        elif anchor and LINE_ANCHOR.match(anchor) and destination.suffix not in {".md", ".ipynb"}:
            problems.append(f"{target}: a link to a line number goes stale when the file changes; link the file")
        elif anchor and destination.suffix in {".md", ".ipynb"}:
            if anchor not in anchors_of(destination):
                problems.append(f"{target}: no heading in {destination.relative_to(ROOT)} has the anchor #{anchor}")
        elif anchor:
            problems.append(f"{target}: an anchor into {destination.suffix or 'a folder'} cannot be checked; link the file")
    return problems


@pytest.mark.parametrize("path", markdown_files() + notebook_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_something_that_exists(path):
    problems = broken_links(path)
    assert not problems, f"{path.relative_to(ROOT)} has broken links:\n" + "\n".join(problems)


def test_every_docs_page_is_linked_from_readme():
    linked = {
        (ROOT / unquote(target.partition("#")[0])).resolve()
        for target in links_in(markdown_of(ROOT / "README.md"))
        if not SCHEME.match(target)
    }
    unlinked = [str(page.relative_to(ROOT)) for page in sorted((ROOT / "docs").glob("*.md")) if page.resolve() not in linked]
    assert not unlinked, f"README.md does not link these docs pages: {unlinked}"


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("What differs from the guide, and why", "what-differs-from-the-guide-and-why"),
        ("`make bench QUICK=1`, 2026-11-25", "make-bench-quick1-2026-11-25"),
        ("Your own data (`data_files`, `dataset_name`)", "your-own-data-data_files-dataset_name"),
        ("オフラインで使う", "オフラインで使う"),
        ("Colab links", "colab-links"),
    ],
)
def test_heading_anchors_follow_githubs_slug_rules(heading, slug):
    assert github_slug(heading) == slug


def test_checker_finds_a_missing_file_a_missing_heading_and_a_line_anchor(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "code.py").write_text("x = 1\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[ok](#title) [ok](code.py) [gone](missing.md) [no heading](#nowhere) [line](code.py#L1)\n"
        "`[in code](missing-too.md)`\n\n```\n[in a fence](missing-three.md)\n```\n"
    )
    problems = broken_links(page)
    assert [problem.split(":")[0] for problem in problems] == ["missing.md", "#nowhere", "code.py#L1"]


# Sections named in prose ("notebook 04, section 6", "04 §6"): the number must be a section of that notebook.
# Sections move between notebooks (04's raw-text scores went to 08), and a number that no longer exists
# sends the reader nowhere. Headings are "## 6. Title".

SECTION_REFERENCE = re.compile(
    r"\bnotebook (?P<a>0\d)(?:_[a-z_]+)?(?:'s)?,? (?:section|§) ?(?P<sa>\d+)"
    r"|\bsection (?P<sb>\d+) of notebook (?P<b>0\d)"
    r"|\b(?P<c>0\d)(?:_[a-z_]+)?,? §(?P<sc>\d+)"
    r"|ノートブック ?(?P<d>0\d) ?の?(?:セクション|節) ?(?P<sd>\d+)",
    re.IGNORECASE,
)
NUMBERED_HEADING = re.compile(r"^ {0,3}#{1,3}[ \t]+(\d+)\.[ \t]", re.MULTILINE)


def section_numbers(notebook: str) -> set[int] | None:
    """The numbered sections of notebooks/<notebook>_*.ipynb ("04" -> {1, ..., 5}); None if there is no such notebook."""
    paths = sorted((ROOT / "notebooks").glob(f"{notebook}_*.ipynb"))
    if not paths:
        return None
    return {int(n) for n in NUMBERED_HEADING.findall(FENCE.sub("", markdown_of(paths[0])))}


def missing_sections(text: str) -> list[str]:
    """Each "notebook NN, section M" in the text (outside code) whose notebook or section does not exist."""
    problems = []
    for match in SECTION_REFERENCE.finditer(without_code(text)):
        notebook = next(match.group(g) for g in "abcd" if match.group(g))
        number = int(next(match.group(f"s{g}") for g in "abcd" if match.group(f"s{g}")))
        sections = section_numbers(notebook)
        if sections is None:
            problems.append(f"{match.group(0)!r}: there is no notebook {notebook}")
        elif number not in sections:
            problems.append(f"{match.group(0)!r}: notebook {notebook} has sections {min(sections)}-{max(sections)}")
    return problems


@pytest.mark.parametrize("path", markdown_files() + notebook_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_section_named_in_prose_exists(path):
    problems = missing_sections(markdown_of(path))
    assert not problems, f"{path.relative_to(ROOT)} names sections that do not exist (they moved?):\n" + "\n".join(problems)


def test_section_checker_finds_a_section_that_moved_away():
    last = max(section_numbers("04"))
    text = (f"Notebook 04, section {last + 1}, scores raw text. See 04 §{last}, section 1 of notebook 03, "
            f"notebook 09, section 1 and ノートブック 04 のセクション {last + 2}. `notebook 04, section 42` is code.")
    assert [problem.split(":")[0] for problem in missing_sections(text)] == [
        f"'Notebook 04, section {last + 1}'", "'notebook 09, section 1'", f"'ノートブック 04 のセクション {last + 2}'"]
