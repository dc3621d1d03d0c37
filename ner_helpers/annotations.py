"""Annotation-tool exports to words and BIO tags, and the model's entities back to the tools.

For notebook 01's `data_files` (a Label Studio JSON export, a doccano JSONL file) and notebook 05's
pre-annotation files (model-assisted labelling: the tool shows the model's entities to correct).

The tools store entities as character spans; the notebooks need words and BIO tags. One rule turns
one into the other:

- A document is one sentence. Its words are `ner_helpers.inference.split_words(text)`: WNUT 17's
  tokenization (nltk's TweetTokenizer rules: "@maria_k", "#NYC", URLs and "York-based" stay whole,
  "2019." is "2019" and "."), the same words `predict_entities` labels.
- A span is on word boundaries when it starts where a word starts and ends where a word ends. Its
  words are the words it overlaps; the first is tagged B-<type>, the others I-<type>.
- A span not on word boundaries ("York" of "York-based") is widened to the words it touches.
- Overlapping spans (sharing a word once widened, or one region with several labels): the one with
  more words is kept, the earlier one in the file on a tie; the others are dropped.
- A span that covers no word (empty, or only spaces) is dropped; a document with no word (empty
  text) is skipped; so is a Label Studio task with no annotation.
- A doccano document without spans is kept as a sentence without entities and counted (doccano's
  export holds every document, labelled or not), or left out with `skip_unlabelled=True`.
Each of these is counted and reported in a warning naming the documents (task ids in Label Studio,
`id` or line number in doccano); nothing is dropped silently. What cannot be read (bad JSON, a span
outside its text, a file with no span at all, a .zip) raises AnnotationFormatError naming the file.

Offsets: doccano's editor counts UTF-16 code units (JavaScript's string length: an emoji such as 😂 counts
2), so doccano files are read, and written, in UTF-16 code units by default; `offsets="code-points"`
reads files written by a Python script (Python's `str` indices), `offsets="graphemes"` those of a doccano
project with "Count grapheme clusters as one character" set. Label Studio (1.0 and later) counts
characters; its older UTF-16 offsets are recognised by the region's stored text.

Why written here rather than taken from a converter: label-studio-sdk's converter (+300 MB) keeps
"2019." as one word and spaCy's `char_span` (+200 MB) splits words its own way, so both would give
words other than the ones the model is trained and run on; doccano-transformer is broken on current
spaCy. Using `split_words` needs no new dependency, and a span the model predicts comes back as the
same words and the same span.
"""
from __future__ import annotations

import json
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Sequence

from .conll import ZIP_MAGIC, is_zip
from .errors import AnnotationFormatError
from .inference import split_words

LABEL_STUDIO_SUFFIX = ".json"  # Label Studio: Export > JSON (a list of tasks)
DOCCANO_SUFFIX = ".jsonl"  # doccano: Export > JSONL (one document per line)
ANNOTATION_SUFFIXES = (LABEL_STUDIO_SUFFIX, DOCCANO_SUFFIX)

Offsets = Literal["utf-16", "code-points", "graphemes"]
OFFSETS: tuple[str, ...] = ("utf-16", "code-points", "graphemes")
OFFSET_UNITS = {"utf-16": "UTF-16 code units", "code-points": "characters", "graphemes": "grapheme clusters"}
DOCCANO_SPAN_KEYS = ("label", "labels", "entities")  # current exports, older exports, relation projects


class AnnotatedSentence(NamedTuple):
    """One document as the notebooks read it: its id in the tool, its words, and their BIO tags."""

    id: str
    tokens: list[str]
    tags: list[str]


@dataclass
class AnnotationReport:
    """What reading one export found besides sentences: each list holds a document id per case."""

    path: str
    tool: str  # "Label Studio" or "doccano"
    unit: str  # what an id names: "task" (Label Studio) or "document" (doccano)
    source: str = "annotations"  # Label Studio: "annotations" or "predictions"
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    entities: int = 0
    widened: list[str] = field(default_factory=list)  # one id per span not on word boundaries
    overlapping: list[str] = field(default_factory=list)  # one id per span dropped for an overlap
    no_word: list[str] = field(default_factory=list)  # one id per span that covers no word
    empty: list[str] = field(default_factory=list)  # documents without a word
    unannotated: list[str] = field(default_factory=list)  # tasks without an annotation (or prediction)
    several: list[str] = field(default_factory=list)  # tasks with several annotations: the first was read
    utf16: list[str] = field(default_factory=list)  # one id per span whose offsets were UTF-16 code units
    text_differs: list[str] = field(default_factory=list)  # one id per span whose stored text is not at its offsets
    other_field: list[str] = field(default_factory=list)  # Label Studio tasks read from a data field other than "text"
    unlabelled: list[str] = field(default_factory=list)  # doccano documents with words and no span
    skip_unlabelled: bool = False  # whether those were left out (else kept as sentences without entities)
    offsets: str = "characters"  # doccano: the unit its offsets were read in (one of OFFSETS)
    converted: list[str] = field(default_factory=list)  # doccano: one id per span whose offsets moved on conversion
    ignored_items: int = 0  # Label Studio result items that are not text spans (choices, relations)

    def warnings(self) -> list[str]:
        """One message per kind of repair or drop, with its count and the documents it concerns."""
        def ids(found: list[str]) -> str:
            unique = list(dict.fromkeys(found))
            return f"{self.unit}s {', '.join(unique[:5])}" + (" ..." if len(unique) > 5 else "")

        kind = self.source[:-1]  # "annotation" or "prediction"
        a_kind = "an annotation" if kind == "annotation" else "a prediction"
        cases = [
            (self.widened, "span(s) not on word boundaries were widened to the words they touch"),
            (self.overlapping, "overlapping span(s) were dropped (the span with more words, or the earlier one, was kept)"),
            (self.no_word, "span(s) covering no word (empty or only spaces) were dropped"),
            (self.empty, f"{self.unit}(s) without text were skipped"),
            (self.unannotated, f"task(s) without {a_kind} were skipped"),
            (self.several, f"task(s) have several {kind}s: the first{' not cancelled' if kind == 'annotation' else ''} was read"),
            (self.utf16, "span(s) had offsets in UTF-16 code units (JavaScript's) and were converted to characters"),
            (self.text_differs, "span(s) store a text that differs from the document at their offsets: read by offsets"),
            (self.other_field, "task(s) were read from the data field their regions point at (to_name, stored text), not \"text\""),
            (self.converted, f"span(s) follow an emoji, where {OFFSET_UNITS.get(self.offsets, self.offsets)} and characters "
                             f"differ: their offsets were read as {OFFSET_UNITS.get(self.offsets, self.offsets)} "
                             f"(offsets={self.offsets!r}{', as doccano writes them' if self.offsets == 'utf-16' else ''}); "
                             "for a file written by a Python script pass offsets=\"code-points\""),
            (self.unlabelled, f"of {self.documents} {self.unit}(s) have no span (an export of every document, labelled "
                              "or not?): " + ("left out (skip_unlabelled=True)" if self.skip_unlabelled else
                                              "kept as sentences without entities; skip_unlabelled=True leaves them out")),
        ]
        return [f"{self.path}: {len(found)} {what} ({ids(found)})." for found, what in cases if found]

    def summary(self) -> str:
        """One line for a person: what was read, then each repair or drop with its count."""
        read = "" if self.source == "annotations" else f", read from its {self.source}"
        parts = [
            f"{self.path}: {self.sentences} sentences, {self.tokens} tokens, {self.entities} entities from "
            f"{self.documents} {self.tool} {self.unit}s{read} (one {self.unit} = one sentence)"
        ]
        parts += [message.split(": ", 1)[1].rstrip(".") for message in self.warnings()]
        if self.ignored_items:
            parts.append(f"{self.ignored_items} result item(s) that are not text spans ignored")
        return "; ".join(parts)


def _warn(report: AnnotationReport) -> None:
    for message in report.warnings():
        warnings.warn(message, stacklevel=3)


# ---------------------------------------------------------------- spans to words and tags


def _span_to_sentence(
    doc_id: str, text: str, spans: Sequence[tuple[int, int, str]], report: AnnotationReport
) -> AnnotatedSentence | None:
    """Words and BIO tags of one document from its (start, end, type) spans, by the module's rule."""
    words = split_words(text)
    if not words:
        report.empty.append(doc_id)
        return None
    candidates = []  # (first word, last word, order in the file, type)
    for order, (start, end, entity_type) in enumerate(spans):
        touched = [i for i, (a, b) in enumerate(words) if a < end and b > start] if start < end else []
        if not touched:
            report.no_word.append(doc_id)
            continue
        first, last = touched[0], touched[-1]
        if words[first][0] != start or words[last][1] != end:
            report.widened.append(doc_id)
        candidates.append((first, last, order, entity_type))
    tags = ["O"] * len(words)
    for first, last, _, entity_type in sorted(candidates, key=lambda c: (c[0] - c[1], c[2])):
        if any(tag != "O" for tag in tags[first : last + 1]):
            report.overlapping.append(doc_id)
            continue
        tags[first : last + 1] = [f"B-{entity_type}"] + [f"I-{entity_type}"] * (last - first)
        report.entities += 1
    report.sentences += 1
    report.tokens += len(words)
    return AnnotatedSentence(doc_id, [text[a:b] for a, b in words], tags)


@dataclass(frozen=True)
class _Where:
    """Where a problem lies: the file, and the line (doccano) or task (Label Studio) and the record's id."""

    file: Path
    line: int | None = None
    record: str | None = None
    unit: str = "document"

    def __str__(self) -> str:
        if self.line is not None:
            named = self.record and self.record != f"line {self.line}"  # a record without an id is named by its line
            return f"{self.file}, line {self.line}" + (f" ({self.unit} {self.record})" if named else "")
        return f"{self.file}: {self.unit} {self.record}" if self.record else str(self.file)

    def error(self, message: str, **facts: Any) -> AnnotationFormatError:
        """An AnnotationFormatError whose message starts with this place and whose attributes name it."""
        return AnnotationFormatError(f"{self}: {message}", file=self.file, line=self.line, record=self.record, **facts)


def _checked_span(start: Any, end: Any, entity_type: Any, text: str, where: _Where) -> tuple[int, int, str]:
    """A span whose offsets are whole numbers inside the text and whose type is a name; else an error."""
    _check_whole_numbers(start, end, where)
    if not isinstance(entity_type, str) or not entity_type.strip():
        raise where.error(f"span [{start}, {end}] has the label {entity_type!r}, not a type name.")
    if not 0 <= start <= end <= len(text):
        raise where.error(
            f"span [{start}, {end}] ({entity_type}) lies outside the text of {len(text)} characters. "
            "Was the text changed after labelling? Fix or delete the span in the tool and export again."
        )
    return start, end, entity_type.strip()


def _check_whole_numbers(start: Any, end: Any, where: _Where) -> None:
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise where.error(f"span offsets {start!r}, {end!r} are not whole numbers (character offsets).")


# ---------------------------------------------------------------- offsets: UTF-16 code units, characters, graphemes


def _unit_lengths(text: str, offsets: str) -> list[tuple[int, int]]:
    """(characters, units) per step of the text: a character, or a grapheme cluster, and its length in the unit."""
    if offsets == "graphemes":
        import regex  # installed with transformers; only this unit needs it

        return [(len(cluster), 1) for cluster in regex.findall(r"\X", text)]
    if offsets == "utf-16":
        return [(1, 2 if ord(char) > 0xFFFF else 1) for char in text]  # outside the BMP: a surrogate pair
    return [(1, 1) for _ in text]


def _unit_to_index(text: str, offsets: str) -> dict[int, int]:
    """Python string index of each offset, in the unit, that falls between characters (or clusters)."""
    positions, index, units = {0: 0}, 0, 0
    for characters, length in _unit_lengths(text, offsets):
        index, units = index + characters, units + length
        positions[units] = index
    return positions


def _index_to_unit(text: str, offsets: str) -> dict[int, int]:
    """The offset, in the unit, of each Python string index that falls between characters (or clusters)."""
    return {index: unit for unit, index in _unit_to_index(text, offsets).items()}


def _utf16_to_characters(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The character offsets of a span given in UTF-16 code units, when both fall between characters."""
    positions = _unit_to_index(text, "utf-16")
    if start in positions and end in positions:
        return positions[start], positions[end]
    return None


def _check_offsets(offsets: object, where: str) -> str:
    if offsets not in OFFSETS:
        raise ValueError(f"{where}: offsets={offsets!r} is not one of {list(OFFSETS)} (doccano counts \"utf-16\").")
    return str(offsets)


def _to_index(text: str, start: int, end: int, entity_type: Any, offsets: str, where: _Where) -> tuple[int, int]:
    """A span's (start, end) as Python string indices, from offsets in the given unit; an error off a boundary."""
    if offsets == "code-points":
        return start, end
    positions = _unit_to_index(text, offsets)
    total = max(positions)
    for offset in (start, end):
        if offset in positions:
            continue
        unit = OFFSET_UNITS[offsets]
        if not 0 <= offset <= total:
            problem = f"offset {offset} lies outside the text of {total} {unit}"
        else:
            char = text[positions[max(u for u in positions if u < offset)]]
            problem = f"offset {offset} falls inside {char!r} (U+{ord(char):04X}), which counts several {unit}"
        as_characters = 0 <= start <= end <= len(text)
        hint = (" The offsets fit as characters: if a Python script wrote the file, read it with offsets=\"code-points\"."
                if as_characters else " Was the text changed after labelling? Fix the span in doccano and export again.")
        raise where.error(f"span [{start}, {end}] ({entity_type}): {problem} (offsets={offsets!r}).{hint}")
    return positions[start], positions[end]


# ---------------------------------------------------------------- files


def _zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [name for name in archive.namelist() if not name.endswith("/")]
    except zipfile.BadZipFile:
        return []


def _refuse_zip(path: Path) -> AnnotationFormatError:
    members = _zip_members(path)
    exports = [name for name in members if Path(name).suffix.lower() in ANNOTATION_SUFFIXES] or members
    inside = ", ".join(members) if members else "no file it can list (a damaged archive?)"
    return _Where(path).error(
        f"a .zip archive (doccano's Export downloads one), holding {inside}. Unzip it and pass "
        + (f"the export inside ({', '.join(exports)})." if exports else "the .jsonl or .json export instead."),
        members=members,
    )


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise _Where(path).error(f"file not found (relative paths start from {Path.cwd()}).")
    raw = path.read_bytes()
    if raw.startswith(ZIP_MAGIC):
        raise _refuse_zip(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _Where(path).error(
            f"bytes that are not UTF-8 at byte {err.start} ({raw[err.start:err.start + 4]!r}). "
            "Export the file again from the tool (they write UTF-8), or save it as UTF-8."
        ) from None


def _nothing_usable(report: AnnotationReport, what_to_do: str | None = None) -> AnnotationFormatError:
    reasons = []
    if report.empty:
        reasons.append(f"{len(report.empty)} without text")
    if report.unannotated:
        reasons.append(f"{len(report.unannotated)} without " + ("an annotation" if report.source == "annotations" else "a prediction"))
    if report.unlabelled and report.skip_unlabelled:
        reasons.append(f"{len(report.unlabelled)} without a span, left out by skip_unlabelled=True")
    why = f" ({', '.join(reasons)})" if reasons else ""
    what_to_do = what_to_do or f"Label at least one {report.unit} with text in {report.tool} and export again."
    return _Where(Path(report.path)).error(
        f"none of its {report.documents} {report.unit}s could be read as a sentence{why}. {what_to_do}"
    )


# ---------------------------------------------------------------- Label Studio


def _stored_texts(result: Any) -> list[tuple[int, int, str]]:
    """(start, end, stored text) of the result's regions that store their text."""
    found = []
    for item in result if isinstance(result, list) else []:
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            start, end = value.get("start"), value.get("end")
            if isinstance(start, int) and isinstance(end, int):
                found.append((start, end, value["text"]))
    return found


def _fits(text: str, stored: list[tuple[int, int, str]]) -> int:
    """How many stored region texts stand in the text at their offsets (as characters or UTF-16 code units)."""
    count = 0
    for start, end, surface in stored:
        converted = _utf16_to_characters(text, start, end)
        count += text[start:end] == surface or (converted is not None and text[converted[0] : converted[1]] == surface)
    return count


def _task_text_field(data: dict[str, Any], result: Any, where: _Where) -> str:
    """The data field the regions label: the one their stored texts stand in, else their to_name, "text", the only one.

    The export does not hold the labelling config: `<Text name="tweet" value="$tweet"/>` names both the
    tag (the regions' to_name) and the data field, so to_name is the field's name in the usual config,
    and the regions' stored text settles the others (`<Text name="text" value="$tweet"/>`).
    """
    fields = {key: value for key, value in data.items() if isinstance(value, str)}
    to_names = sorted({item.get("to_name") for item in (result if isinstance(result, list) else [])
                       if isinstance(item, dict) and item.get("to_name") in fields})
    named = to_names + (["text"] if "text" in fields else []) + ([next(iter(fields))] if len(fields) == 1 else [])
    order = list(dict.fromkeys(named + sorted(fields)))  # preferred first; max() keeps the first on a tie
    stored = _stored_texts(result)
    if stored and order:
        best = max(order, key=lambda key: _fits(fields[key], stored))
        if _fits(fields[best], stored):
            return best
    if named:
        return named[0]
    raise where.error(
        f"its data has no \"text\" field and {len(fields)} text fields ({sorted(fields)}), and no region points at "
        "one (to_name), so the text to label is unclear. Name the text field \"text\" (<Text name=\"text\" "
        "value=\"$text\"/>) and export again.",
        keys_found=sorted(data),
    )


def _label_studio_spans(result: Any, text: str, doc_id: str, where: _Where, report: AnnotationReport) -> list[tuple[int, int, str]]:
    """The (start, end, type) spans of one annotation's result; one span per label of a region."""
    if not isinstance(result, list):
        raise where.error(f"its result is {type(result).__name__}, not a list of regions.")
    spans = []
    for item in result:
        value = item.get("value") if isinstance(item, dict) else None
        if not (isinstance(value, dict) and {"start", "end", "labels"} <= set(value)):
            report.ignored_items += 1  # choices, relations, text areas: not entity spans
            continue
        start, end, labels = value["start"], value["end"], value["labels"]
        if not isinstance(labels, list):
            labels = [labels]
        if not labels:
            report.ignored_items += 1  # a region left without a label
        stored = value.get("text")
        if isinstance(stored, str) and isinstance(start, int) and isinstance(end, int) and text[start:end] != stored:
            converted = _utf16_to_characters(text, start, end)
            if converted is not None and text[converted[0] : converted[1]] == stored:
                start, end = converted  # older Label Studio counted JavaScript's UTF-16 code units
                report.utf16.append(doc_id)
            else:
                report.text_differs.append(doc_id)
        spans += [_checked_span(start, end, label, text, where) for label in labels]
    return spans


def _read_label_studio(path: Path, source: str) -> tuple[list[AnnotatedSentence], AnnotationReport]:
    if source not in ("annotations", "predictions"):
        raise ValueError(f'source must be "annotations" or "predictions", not {source!r}.')
    content = _read_text(path)
    try:
        tasks = json.loads(content)
    except json.JSONDecodeError as err:
        hint = " One JSON object per line is doccano's JSONL: name the file .jsonl." if err.msg == "Extra data" else ""
        raise AnnotationFormatError(
            f"{path}, line {err.lineno}, column {err.colno}: not valid JSON ({err.msg}).{hint} "
            "Export the project again from Label Studio (Export > JSON).",
            file=path, line=err.lineno,
        ) from None
    if isinstance(tasks, dict):  # one task on its own, as Label Studio also imports
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise _Where(path).error(f"holds a {type(tasks).__name__}, not a list of tasks (Label Studio's Export > JSON).")
    report = AnnotationReport(path=str(path), tool="Label Studio", unit="task", source=source, documents=len(tasks))
    if not tasks:
        raise _Where(path).error("the file holds no tasks (an empty export?). Label some tasks and export again.")
    sentences = []
    with_predictions = 0
    for index, task in enumerate(tasks, start=1):
        if not (isinstance(task, dict) and isinstance(task.get("data"), dict)):
            doccano_like = isinstance(task, dict) and "text" in task
            raise _Where(path, record=f"#{index}", unit="task").error(
                "it has no \"data\" object, so it is not a Label Studio task. "
                + ("It looks like a doccano or JSON-MIN record: give doccano files as .jsonl, and export Label Studio "
                   "projects as JSON (not JSON-MIN)." if doccano_like else "Export the project as JSON (not JSON-MIN or CSV)."),
                keys_found=sorted(task) if isinstance(task, dict) else None,
            )
        doc_id = str(task.get("id", f"#{index}"))
        where = _Where(path, record=doc_id, unit="task")
        if source == "annotations":
            candidates = task.get("annotations", task.get("completions")) or []  # "completions" before Label Studio 1.0
            with_predictions += bool(task.get("predictions"))
        else:
            candidates = task.get("predictions") or []
        usable = [c for c in candidates if isinstance(c, dict) and not c.get("was_cancelled")]
        result = usable[0].get("result", []) if usable else []
        text_field = _task_text_field(task["data"], result, where)
        text = task["data"][text_field]
        if not split_words(text):
            report.empty.append(doc_id)
            continue
        if not usable:
            report.unannotated.append(doc_id)
            continue
        if len(usable) > 1:
            report.several.append(doc_id)
        if text_field != "text" and "text" in task["data"]:
            report.other_field.append(doc_id)
        spans = _label_studio_spans(result, text, doc_id, where, report)
        sentence = _span_to_sentence(doc_id, text, spans, report)
        if sentence is not None:
            sentences.append(sentence)
    if not sentences:
        what_to_do = None
        if with_predictions:
            what_to_do = (
                f"{with_predictions} task(s) hold only the model's predictions (a pre-annotation file?): import it into "
                "Label Studio, correct the predictions and export the annotations; to read the predictions as they are, "
                "use read_label_studio(path, source=\"predictions\")."
            )
        raise _nothing_usable(report, what_to_do)
    return sentences, report


def read_label_studio(
    path: str | os.PathLike, source: Literal["annotations", "predictions"] = "annotations"
) -> list[AnnotatedSentence]:
    """Sentences (id, tokens, BIO tags) from a Label Studio JSON export (Export > JSON), by the module's rule.

    Each task is one sentence; the spans are the `labels` regions of the first annotation not
    cancelled (tasks with several are reported, tasks with none are skipped and reported). The text
    is the data field the regions label: `data["text"]` in Label Studio's templates; another field
    (`<Text name="tweet" value="$tweet"/>`) is found by the regions' stored text and `to_name`, and
    reported. With `source="predictions"` the first prediction is read instead (a pre-annotation
    file, as `write_label_studio_predictions` writes). Offsets count characters; spans whose offsets
    count UTF-16 code units, as older Label Studio releases stored them after an emoji, are
    recognised by their stored text, converted and reported.
    """
    sentences, report = _read_label_studio(Path(path), source)
    _warn(report)
    return sentences


# ---------------------------------------------------------------- doccano


def _doccano_spans(
    record: dict[str, Any], text: str, offsets: str, where: _Where, report: AnnotationReport
) -> list[tuple[int, int, str]]:
    """Spans from "label" (current doccano), "labels" (older exports) or "entities" (relation projects), as indices.

    Offsets are read in the unit `offsets` names; a span whose indices differ from its offsets (one after
    an emoji, in UTF-16 code units) is counted in the report, so the unit chosen shows where it matters.
    """
    key = next((k for k in DOCCANO_SPAN_KEYS if k in record), None)
    raw = (record.get(key) or []) if key else []
    if not isinstance(raw, list):
        raise where.error(f"\"{key}\" holds {raw!r}, not a list of [start, end, type] spans.")
    spans = []
    for item in raw:
        if isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= set(item):
            start, end, entity_type = item["start_offset"], item["end_offset"], item["label"]
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            start, end, entity_type = item
        else:
            raise where.error(
                f"\"{key}\" holds {item!r}, not a [start, end, type] span. Is this a text-classification "
                "project? Export a sequence-labelling project as JSONL."
            )
        _check_whole_numbers(start, end, where)
        indices = _to_index(text, start, end, entity_type, offsets, where)
        if indices != (start, end):
            report.converted.append(where.record or "")
        spans.append(_checked_span(*indices, entity_type, text, where))
    return spans


def _record_offsets(record: dict[str, Any], offsets: str, where: _Where) -> str:
    """The unit of a record's offsets: its own "offsets" key when it has one (a file that says so), else the reader's."""
    if "offsets" not in record:
        return offsets
    if record["offsets"] not in OFFSETS:
        raise where.error(
            f"\"offsets\" is {record['offsets']!r}: write one of {list(OFFSETS)}, or leave the key out (\"utf-16\", doccano's)."
        )
    return record["offsets"]


def _no_span_key(path: Path, keys: set[str], label_ids: bool) -> AnnotationFormatError:
    """The error for a file in which no record has a span key, naming the keys it has and what they mean."""
    found = sorted(keys)
    if "annotations" in keys:
        why = ("the records hold \"annotations\" with label ids" if label_ids else "the records hold \"annotations\"") + (
            " (doccano 1.x's old export, whose labels are numbers, not names). Export the project again from a current "
            "doccano (Export > JSONL, where \"label\" holds [start, end, name]), or write each annotation as "
            "[start_offset, end_offset, label name] under \"label\"."
        )
    else:
        why = ("there are no spans: a file of texts to label, not an export of labelled documents? Label them in "
               "doccano and export the project (Export > JSONL), whose records hold \"label\": [[start, end, type], ...].")
    return _Where(path).error(f"no record has a span key ({', '.join(DOCCANO_SPAN_KEYS)}); the keys found are {found}, so {why}",
                              keys_found=found)


def _read_doccano(path: Path, offsets: str = "utf-16", skip_unlabelled: bool = False) -> tuple[list[AnnotatedSentence], AnnotationReport]:
    offsets = _check_offsets(offsets, f"{path}")
    content = _read_text(path)
    report = AnnotationReport(path=str(path), tool="doccano", unit="document", offsets=offsets, skip_unlabelled=skip_unlabelled)
    sentences = []
    keys: set[str] = set()
    with_span_key = label_ids = False
    for line_no, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise _Where(path, line_no).error(
                f"not valid JSON (column {err.colno}: {err.msg}). A doccano JSONL file holds one "
                "JSON object per line: export the project again (Export > JSONL)."
            ) from None
        text = record.get("text", record.get("data")) if isinstance(record, dict) else None  # "data": doccano 1.3-1.6
        if not isinstance(text, str):
            raise _Where(path, line_no).error(
                f"no \"text\" string in {line[:80]!r}. Each line needs "
                "{\"text\": ..., \"label\": [[start, end, type], ...]} (doccano's Export > JSONL).",
                keys_found=sorted(record) if isinstance(record, dict) else None,
            )
        report.documents += 1
        keys |= set(record)
        with_span_key = with_span_key or any(k in record for k in DOCCANO_SPAN_KEYS)
        label_ids = label_ids or any(isinstance(a, dict) and isinstance(a.get("label"), int)
                                     for a in (record.get("annotations") if isinstance(record.get("annotations"), list) else []))
        doc_id = str(record["id"]) if "id" in record else f"line {line_no}"
        where = _Where(path, line_no, record=doc_id)
        record_offsets = _record_offsets(record, offsets, where)
        spans = _doccano_spans(record, text, record_offsets, where, report)
        if not spans and split_words(text):
            report.unlabelled.append(doc_id)
            if skip_unlabelled:
                continue
        sentence = _span_to_sentence(doc_id, text, spans, report)
        if sentence is not None:
            sentences.append(sentence)
    if not report.documents:
        raise _Where(path).error("the file holds no documents (an empty export?). Label some and export again.")
    if not with_span_key:
        raise _no_span_key(path, keys, label_ids)
    if not sentences:
        raise _nothing_usable(report)
    return sentences, report


def read_doccano(
    path: str | os.PathLike, offsets: Offsets = "utf-16", *, skip_unlabelled: bool = False
) -> list[AnnotatedSentence]:
    """Sentences (id, tokens, BIO tags) from a doccano JSONL export, by the module's rule.

    One line is one document and one sentence: `{"id": ..., "text": ..., "label": [[start, end, type], ...]}`
    (older exports: "labels"; relation projects: "entities" of start_offset/end_offset/label; doccano
    1.3-1.6: "data" for "text"). The id is the record's "id", or "line N" without one.

    `offsets` is the unit of the spans' offsets: "utf-16" (doccano's editor counts JavaScript's UTF-16
    code units: an emoji before a span counts 2), "code-points" (Python's `str` indices: a file a script
    wrote) or "graphemes" (a project set to count grapheme clusters as one character). A record's own
    `"offsets"` key overrides it. An offset inside an emoji or past the text raises AnnotationFormatError.

    doccano's export holds every document: one without spans is kept as a sentence without entities,
    and counted in a warning; `skip_unlabelled=True` leaves them out. A file in which no record has a
    span key (a file of texts, doccano 1.x's "annotations" of label ids) raises AnnotationFormatError.
    """
    sentences, report = _read_doccano(Path(path), offsets, skip_unlabelled)
    _warn(report)
    return sentences


def _only_predictions(path: Path) -> bool:
    """Whether a Label Studio file's tasks hold predictions and not one annotation (a pre-annotation file)."""
    try:
        tasks = json.loads(_read_text(path))
    except json.JSONDecodeError:
        return False  # the reader reports it with the line and column
    tasks = [tasks] if isinstance(tasks, dict) else tasks
    if not isinstance(tasks, list):
        return False
    tasks = [t for t in tasks if isinstance(t, dict)]
    return any(t.get("predictions") for t in tasks) and not any(t.get("annotations") or t.get("completions") for t in tasks)


def read_annotation_file(
    path: str | os.PathLike,
    label_names: Sequence[str] | None = None,
    *,
    offsets: Offsets = "utf-16",
    skip_unlabelled: bool = False,
) -> tuple[list[tuple[list[str], list[str]]], AnnotationReport]:
    """(tokens, tags) sentences and a report, as `data.read_conll` gives: .json is Label Studio, .jsonl doccano.

    The suffix may be in any case (EXPORT.JSONL); a .zip (doccano's download) is refused with the names
    of the files inside. With `label_names`, a tag outside that set raises AnnotationFormatError naming
    the document. `offsets` and `skip_unlabelled` apply to doccano files, as in `read_doccano`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".zip" or is_zip(path):
        _read_text(path)  # a missing file says so; an archive is refused with its members
        raise _refuse_zip(path)  # a .zip that is no archive: still not an export
    if suffix == LABEL_STUDIO_SUFFIX:
        source = "predictions" if _only_predictions(path) else "annotations"
        sentences, report = _read_label_studio(path, source)
        if source == "predictions":
            warnings.warn(
                f"{path}: no task holds annotations, only the model's predictions (a pre-annotation file, as notebook 05 "
                f"writes): read {len(sentences)} task(s) with the predicted spans as their tags. Correct them in Label "
                "Studio and export the annotations before you train on them.",
                stacklevel=2,
            )
    elif suffix == DOCCANO_SUFFIX:
        sentences, report = _read_doccano(path, offsets, skip_unlabelled)
    else:
        raise _Where(path).error("annotation files end in .json (Label Studio's Export > JSON) or .jsonl (doccano's Export > JSONL).")
    if label_names is not None:
        allowed = set(label_names)
        for sentence in sentences:
            outside = sorted(set(sentence.tags) - allowed)
            if outside:
                raise AnnotationFormatError(
                    f"{path}: {report.unit} {sentence.id} has tag(s) {outside}, not in the label set {list(label_names)}. "
                    "Rename the label in the tool, or load with label_names=None to discover the labels from the data.",
                    file=path, record=sentence.id,
                )
    _warn(report)
    return [(sentence.tokens, sentence.tags) for sentence in sentences], report


# ---------------------------------------------------------------- entities out, for the tools


def _checked_entities(texts: Sequence[str], entities: Sequence[Sequence[dict[str, Any]]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Pairs of text and its entities, checked: one list per text, each entity's surface at its offsets."""
    if isinstance(texts, str):
        raise ValueError("texts must be a list of texts (one string is one character per text): pass [text].")
    texts, entities = list(texts), list(entities)
    if entities and isinstance(entities[0], dict):
        raise ValueError("entities must hold one list of entities per text, as predict_entities(list_of_texts, ...) returns.")
    if len(texts) != len(entities):
        raise ValueError(f"{len(texts)} texts but {len(entities)} lists of entities: pass predict_entities(texts, ...) for the same texts.")
    for i, (text, found) in enumerate(zip(texts, entities)):
        for k, entity in enumerate(found):
            start, end = entity["start"], entity["end"]
            if not (0 <= start < end <= len(text)) or entity.get("text", text[start:end]) != text[start:end]:
                raise ValueError(
                    f"entities[{i}][{k}] ({entity.get('text')!r} at [{start}, {end}]) is not in texts[{i}] at its offsets: "
                    "the entities must come from predict_entities on the same texts, in the same order."
                )
    return list(zip(texts, entities))


def to_label_studio_predictions(
    texts: Sequence[str],
    entities: Sequence[Sequence[dict[str, Any]]],
    model_version: str,
    *,
    from_name: str = "label",
    to_name: str = "text",
) -> list[dict[str, Any]]:
    """Label Studio tasks holding the model's entities as predictions (pre-annotations to correct).

    `entities` is what `predict_entities(texts, ...)` returns. `from_name` and `to_name` must be the
    names of the project's <Labels> and <Text> tags (those of Label Studio's NER template by default).
    Each region carries its entity's score; the prediction's score is its least sure entity's, so
    sorting tasks by score shows the doubtful ones first.
    """
    tasks = []
    for text, found in _checked_entities(texts, entities):
        result = []
        for entity in found:
            region = {
                "from_name": from_name,
                "to_name": to_name,
                "type": "labels",
                "value": {"start": entity["start"], "end": entity["end"], "text": text[entity["start"] : entity["end"]],
                          "labels": [entity["type"]]},
            }
            if "score" in entity:
                region["score"] = float(entity["score"])
            result.append(region)
        prediction: dict[str, Any] = {"model_version": model_version, "result": result}
        scores = [region["score"] for region in result if "score" in region]
        if scores:
            prediction["score"] = min(scores)
        tasks.append({"data": {"text": text}, "predictions": [prediction]})
    return tasks


def to_doccano(
    texts: Sequence[str], entities: Sequence[Sequence[dict[str, Any]]], *, offsets: Offsets = "utf-16"
) -> list[dict[str, Any]]:
    """doccano records `{"text", "label": [[start, end, type], ...]}` from `predict_entities(texts, ...)`.

    The offsets are in UTF-16 code units by default, as doccano's editor counts them, so a span after
    an emoji shows on its words in doccano. Records written in another unit say so in an "offsets" key,
    which `read_doccano` follows.
    """
    offsets = _check_offsets(offsets, "to_doccano")
    records = []
    for i, (text, found) in enumerate(_checked_entities(texts, entities)):
        units = _index_to_unit(text, offsets)
        for k, e in enumerate(found):
            if e["start"] not in units or e["end"] not in units:
                raise ValueError(
                    f"entities[{i}][{k}] ({text[e['start']:e['end']]!r}) starts or ends inside a grapheme cluster of "
                    f"texts[{i}]: it has no offsets in graphemes; write it with offsets=\"utf-16\"."
                )
        record: dict[str, Any] = {"text": text, "label": [[units[e["start"]], units[e["end"]], e["type"]] for e in found]}
        if offsets != "utf-16":
            record["offsets"] = offsets
        records.append(record)
    return records


def write_label_studio_predictions(
    path: str | os.PathLike,
    texts: Sequence[str],
    entities: Sequence[Sequence[dict[str, Any]]],
    model_version: str,
    *,
    from_name: str = "label",
    to_name: str = "text",
) -> Path:
    """Write `to_label_studio_predictions(...)` as a JSON file for Label Studio's Import; return its path."""
    tasks = to_label_studio_predictions(texts, entities, model_version, from_name=from_name, to_name=to_name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_doccano(
    path: str | os.PathLike,
    texts: Sequence[str],
    entities: Sequence[Sequence[dict[str, Any]]],
    *,
    offsets: Offsets = "utf-16",
) -> Path:
    """Write `to_doccano(...)` as a JSONL file (one document per line) for doccano's Import; return its path.

    Offsets in UTF-16 code units by default, as doccano's editor reads them (see `to_doccano`).
    """
    records = to_doccano(texts, entities, offsets=offsets)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
