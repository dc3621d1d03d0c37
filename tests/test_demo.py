"""`make demo` (demo/app.py): the page serves a saved model, and a real browser reads its entities.

The browser tests start `demo/app.py` as `make demo` does, on a free port of 127.0.0.1, open the page in
headless Chromium (Debian's chromium and chromium-driver, driven by Selenium), type or paste a text, press the
button and read the highlighted entities from the page: `.token.highlighted` spans with a `.text` and a
`.label` child. What the page shows must equal what `pipeline("token-classification")` finds in the same text,
computed here without the app. The tiny test model's labels are random, but it labels most words, so every
text has entities. Without chromium the browser tests skip, except under CI=true (tests/conftest.py).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "demo" / "app.py"
SENTENCE = "Taylor Swift and Ed Sheeran played Wembley Stadium last night"
TIMEOUT = 60  # seconds for the server to start and for the page to answer


def load_app():
    """demo/app.py as a module (demo/ is a Space folder, not a package)."""
    spec = importlib.util.spec_from_file_location("demo_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pipeline_entities(model_dir: Path, text: str, strategy: str = "first", stride: int | None = 64 // 4) -> list[tuple[int, str, str]]:
    """(start, surface, type) of each entity `pipeline` finds, read with windows as notebook 08 reads long texts (section 4)."""
    from transformers import pipeline

    ner = pipeline("token-classification", model=str(model_dir), aggregation_strategy=strategy, device="cpu")
    assert ner.tokenizer.model_max_length == ner.model.config.max_position_embeddings == 64  # the tiny model
    found = ner(text, stride=stride) if stride else ner(text)
    return [(e["start"], text[e["start"] : e["end"]], e["entity_group"]) for e in found]


def long_text() -> str:
    """5,000 characters: filler, then SENTENCE at the end, far past the tiny model's 64 tokens."""
    head = ("the weather was fine and " * 200)[: 5000 - len(SENTENCE) - 1]
    return head.ljust(5000 - len(SENTENCE)) + SENTENCE


# --- Without a browser ---------------------------------------------------------------------------------


def test_no_model_folder_says_which_command_makes_one(tmp_path):
    app = load_app()
    with pytest.raises(FileNotFoundError, match=r"make run OFFLINE=1 DATA_DIR=.* MODEL_DIR="):
        app.default_model_dir(tmp_path / "runs")


def test_make_demo_without_a_run_stops_with_the_message(tmp_path):
    # A copy of app.py in a folder without runs/ or model/: what `make demo` prints on a fresh clone.
    (tmp_path / "demo").mkdir()
    shutil.copy(APP, tmp_path / "demo" / "app.py")
    env = {**os.environ, "MODEL_DIR": ""}
    done = subprocess.run([sys.executable, str(tmp_path / "demo" / "app.py")], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert "No trained model found" in done.stderr and "make run OFFLINE=1 DATA_DIR=" in done.stderr
    assert "Traceback" not in done.stderr


def test_default_model_is_the_newest_run(tmp_path, tiny_model_dir):
    app = load_app()
    for name, mtime in [("20260101-090000", 1_000), ("20260102-090000", 2_000), ("20251231-090000", 500)]:
        model = tmp_path / "runs" / name / "artifacts" / "model"
        shutil.copytree(tiny_model_dir, model)
        os.utime(model, (mtime, mtime))
    (tmp_path / "runs" / "sweep" / "artifacts" / "model").mkdir(parents=True)  # no config.json: not a model
    assert app.newest_run_model(tmp_path / "runs") == tmp_path / "runs" / "20260102-090000" / "artifacts" / "model"
    assert app.newest_run_model(tmp_path / "nothing") is None


def test_examples_come_from_the_runs_test_split(tmp_path, sample_dir):
    from ner_helpers.data import load_wnut17

    app = load_app()
    dataset = load_wnut17(sample_dir)
    dataset.save_to_disk(str(tmp_path / "artifacts" / "dataset"))
    with_entities = [" ".join(row["tokens"]) for row in dataset["test"] if any(row["ner_tags"])]
    assert app.example_texts(tmp_path / "artifacts" / "model") == with_entities[:3]
    assert app.example_texts(tmp_path / "elsewhere" / "model") == app.BUILT_IN_EXAMPLES  # no data set beside it


def test_space_folder_pins_match_requirements():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    space = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "demo" / "requirements.txt").read_text(), re.MULTILINE))
    assert space and {name: pins.get(name) for name in space} == space
    sdk_version = re.search(r"^sdk_version: (\S+)$", (ROOT / "demo" / "README.md").read_text(), re.MULTILINE).group(1)
    assert sdk_version == pins["gradio"]


def test_gradio_analytics_are_off_even_when_the_environment_turns_them_on(monkeypatch, tiny_model_dir):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "True")
    app = load_app()
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert app.build_demo(tiny_model_dir, examples=[]).analytics_enabled is False


def test_empty_and_long_texts_without_a_browser(tiny_model_dir):
    app = load_app()
    predict = app.make_predict(*app.load_pipeline(tiny_model_dir))
    assert predict("") is None and predict("  \n") is None  # None clears the output
    text = long_text()
    shown = [(e["start"], text[e["start"] : e["end"]], e["entity_group"]) for e in predict(text)["entities"]]
    assert shown == pipeline_entities(tiny_model_dir, text)


# --- In a browser ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_url(tiny_model_dir, tmp_path_factory):
    """`python demo/app.py --model-dir <tiny model> --port <free>`, as `make demo` runs it; its URL once it answers."""
    port = free_port()
    log = tmp_path_factory.mktemp("demo") / "server.log"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, str(APP), "--model-dir", str(tiny_model_dir), "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"demo/app.py exited with code {server.returncode}:\n{log.read_text()}")
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"demo/app.py did not answer on {url} within {TIMEOUT} s:\n{log.read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through chromium-driver; a skip (a failure under CI=true) without them."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("no chromium or chromedriver on PATH: apt-get install chromium chromium-driver (.ci/run does)")
    pytest.importorskip("selenium", reason="selenium is not installed: make setup (requirements.txt pins it)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,2000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


# Every token of the output in order: its text, and its label when it is a highlighted entity.
READ_TOKENS = """
return Array.from(document.querySelectorAll('#ner-entities .token')).map(token => [
  token.querySelector('.text') ? token.querySelector('.text').textContent : '',
  token.classList.contains('highlighted') && token.querySelector('.label') ? token.querySelector('.label').textContent : null,
]);
"""
# What a paste does: set the text box's value and fire the input event the page listens to.
PASTE = """
const box = document.querySelector('#ner-text textarea');
box.value = arguments[0];
box.dispatchEvent(new Event('input', {bubbles: true}));
"""


class Page:
    """The demo page in the browser: type or paste, press the button, read what it shows."""

    def __init__(self, driver, url):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.By, self.wait = driver, By, WebDriverWait(driver, TIMEOUT)
        self.Keys = Keys
        driver.get(url)
        self.box = self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#ner-text textarea")))

    def submit(self, text: str, paste: bool = False, strategy: str | None = None) -> list[tuple[int, str, str]]:
        """Enter `text`, press the button, wait for the output to show exactly that text; (start, surface, type) of each entity."""
        if text and self.shown_text() == text:
            self.submit("")  # else the wait below would pass on the previous answer, before this one arrives
        self.box.send_keys(self.Keys.CONTROL + "a", self.Keys.DELETE)  # keys, not clear(): the page hears only key and input events
        if paste:
            self.driver.execute_script(PASTE, text)
        elif text:
            self.box.send_keys(text)
        if strategy:
            self.driver.find_element(self.By.CSS_SELECTOR, f'#ner-strategy input[value="{strategy}"]').click()
        self.driver.find_element(self.By.ID, "ner-submit").click()
        self.wait.until(lambda d: self.shown_text() == text, message=f"the output never showed the {len(text)}-character text")
        entities, position = [], 0
        for surface, label in self.driver.execute_script(READ_TOKENS):
            if label is not None:
                entities.append((position, surface, label))
            position += len(surface)
        errors = self.driver.find_elements(self.By.CSS_SELECTOR, ".toast-body")
        assert not errors, f"the page shows an error: {[e.text for e in errors]}"
        return entities

    def shown_text(self) -> str:
        return "".join(surface for surface, _ in self.driver.execute_script(READ_TOKENS))


@pytest.fixture(scope="module")
def page(browser, demo_url):
    return Page(browser, demo_url)


@pytest.mark.browser
def test_page_shows_the_entities_pipeline_finds(page, tiny_model_dir):
    shown = page.submit(SENTENCE)
    assert shown and shown == pipeline_entities(tiny_model_dir, SENTENCE)


@pytest.mark.browser
def test_chosen_aggregation_strategy_is_used(page, tiny_model_dir):
    shown = page.submit(SENTENCE, strategy="max")
    assert shown == pipeline_entities(tiny_model_dir, SENTENCE, strategy="max")
    assert shown != pipeline_entities(tiny_model_dir, SENTENCE, strategy="first")  # so the choice reached the model
    page.submit("", strategy="first")  # back to the default for the other tests


@pytest.mark.browser
def test_empty_text_clears_the_output_without_an_error(page):
    assert page.submit(SENTENCE)  # something to clear
    assert page.submit("") == []


@pytest.mark.browser
def test_a_5000_character_text_is_read_to_the_end(page, tiny_model_dir):
    text = long_text()
    assert len(text) == 5000
    shown = page.submit(text, paste=True)
    assert shown == pipeline_entities(tiny_model_dir, text)
    assert any(start >= 3000 for start, _, _ in shown)  # read in windows: entities far past the first 64 tokens
    assert not any(start >= 3000 for start, _, _ in pipeline_entities(tiny_model_dir, text, stride=None))  # truncated without
