"""What several test files share that is not a fixture: the sample data's paths, the hand-made tag sample, reading a
cell's output, and the fake network of load_wnut17's GitHub route. Test files import it (`from support import ...`);
pytest puts tests/ on sys.path, as for tests/tiny_model.py. Fixtures and hooks stay in conftest.py."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

TESTS_DIR = Path(__file__).parent
SAMPLE_DIR = TESTS_DIR / "data" / "sample_wnut17"
# Every notebook with exercises and solutions: the English and Japanese ones, not the student copies (which have none).
NOTEBOOKS_WITH_SOLUTIONS = sorted(
    path for path in (TESTS_DIR.parent / "notebooks").rglob("*.ipynb") if not {".ipynb_checkpoints", "student"} & set(path.parts)
)
CI_TINY_MODEL = TESTS_DIR.parent / ".cache" / "tiny-model"  # where tests/expected_notebooks (nbval) load the tiny model


def real_data_dir() -> Path | None:
    """The folder WNUT17_DIR names, when it holds the WNUT 17 files; else None."""
    folder = os.environ.get("WNUT17_DIR")
    if folder and (Path(folder) / "wnut17train.conll").is_file():
        return Path(folder)
    return None


# A hand-made sample of WNUT 17 tags and predictions wrong in each way a prediction can be. Precision equals recall
# (3 of 6 entities right both ways): tests/test_metrics.py compares scores on it, tests/test_analysis.py the errors.
HAND_MADE_GOLD = [
    ["B-person", "I-person", "O", "B-location", "O"],
    ["O", "B-product", "I-product", "O", "B-group"],
    ["B-corporation", "O", "O", "B-creative-work", "I-creative-work"],
]
HAND_MADE_PREDICTED = [
    ["B-person", "I-person", "O", "B-person", "O"],  # right, wrong type
    ["O", "B-product", "O", "O", "O"],  # wrong boundary, missed
    ["B-corporation", "O", "B-group", "B-creative-work", "I-creative-work"],  # right, spurious, right
]


def cell_output(notebook: Path, cell_id: str) -> str:
    """All text an executed notebook's cell printed or displayed (text, plain text and HTML), joined; for the tests
    that run notebooks and read what a cell showed."""
    cell = next(c for c in json.loads(Path(notebook).read_text())["cells"] if c.get("id") == cell_id)
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
        parts.append("".join(output.get("data", {}).get("text/html", "")))
    return "\n".join(parts)


# --- load_wnut17's second route (the original files from GitHub), with a fake transport instead of the network
# (tests/test_data.py and tests/test_download.py; the `online` fixture of conftest.py turns offline mode off).

class FakeTransport:
    """Serves files from a folder by the name at the end of the URL, and records what was asked."""

    def __init__(self, folder: Path, tamper: str | None = None):
        self.folder, self.tamper, self.urls = folder, tamper, []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        name = url.rsplit("/", 1)[-1]
        data = (self.folder / name).read_bytes()
        return data.replace(b"\tO", b"\tB-person", 1) if name == self.tamper else data


def serve(monkeypatch, folder: Path, tamper: str | None = None) -> FakeTransport:
    """Make download's transport serve folder's files (the file named `tamper` altered), with their SHA-256 sums as
    the known ones; returns the FakeTransport."""
    from ner_helpers import download
    from ner_helpers.data import WNUT17_FILES

    transport = FakeTransport(folder, tamper)
    monkeypatch.setattr(download, "http_get", transport)
    sums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in WNUT17_FILES.values()}
    monkeypatch.setattr(download, "WNUT17_SHA256", sums)
    return transport


def run_make_with_a_stand_in(tmp_path: Path, target: str, program: str, script: str, *arguments: str,
                             drop: tuple[str, ...] = ()) -> None:
    """Run `make TARGET` from the repository's Makefile in tmp_path, with a set-up virtual environment whose
    `program` (python, mutmut) is the shell `script`, which records what make started it with.

    Environment variables named in `drop` (or starting with one of them) are left out, so that what make sets is seen.
    """
    import os
    import subprocess

    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("requirements.txt", "pyproject.toml"):  # the install stamp's prerequisites, older than the stamp
        (tmp_path / name).write_text("")
    (venv / ".installed").write_text("")
    stand_in = venv / "bin" / program
    stand_in.write_text(script)
    stand_in.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", *drop))}
    subprocess.run(["make", "-f", str(TESTS_DIR.parent / "Makefile"), "-C", str(tmp_path), target, f"VENV={venv}", *arguments],
                   env=environment, capture_output=True, text=True, check=True, timeout=60)
