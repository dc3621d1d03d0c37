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
Each of these is counted and reported in a warning naming the documents (task ids in Label Studio,
`id` or line number in doccano); nothing is dropped silently. What cannot be read (bad JSON, a span
outside its text, a file with no usable document) raises AnnotationFormatError naming the file.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Sequence

from .errors import AnnotationFormatError
from .inference import split_words

LABEL_STUDIO_SUFFIX = ".json"  # Label Studio: Export > JSON (a list of tasks)
DOCCANO_SUFFIX = ".jsonl"  # doccano: Export > JSONL (one document per line)
ANNOTATION_SUFFIXES = (LABEL_STUDIO_SUFFIX, DOCCANO_SUFFIX)


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


def _checked_span(start: Any, end: Any, entity_type: Any, text: str, where: str) -> tuple[int, int, str]:
    """A span whose offsets are whole numbers inside the text and whose type is a name; else an error."""
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise AnnotationFormatError(f"{where}: span offsets {start!r}, {end!r} are not whole numbers (character offsets).")
    if not isinstance(entity_type, str) or not entity_type.strip():
        raise AnnotationFormatError(f"{where}: span [{start}, {end}] has the label {entity_type!r}, not a type name.")
    if not 0 <= start <= end <= len(text):
        raise AnnotationFormatError(
            f"{where}: span [{start}, {end}] ({entity_type}) lies outside the text of {len(text)} characters. "
            "Was the text changed after labelling? Fix or delete the span in the tool and export again."
        )
    return start, end, entity_type.strip()


def _utf16_to_characters(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The character offsets of a span given in UTF-16 code units, when both fall between characters."""
    positions, units = {}, 0
    for index, char in enumerate(text):
        positions[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    positions[units] = len(text)
    if start in positions and end in positions:
        return positions[start], positions[end]
    return None


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise AnnotationFormatError(f"{path}: file not found (relative paths start from {Path.cwd()}).")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise AnnotationFormatError(
            f"{path}: bytes that are not UTF-8 at byte {err.start} ({raw[err.start:err.start + 4]!r}). "
            "Export the file again from the tool (they write UTF-8), or save it as UTF-8."
        ) from None


def _nothing_usable(report: AnnotationReport, what_to_do: str | None = None) -> AnnotationFormatError:
    reasons = []
    if report.empty:
        reasons.append(f"{len(report.empty)} without text")
    if report.unannotated:
        reasons.append(f"{len(report.unannotated)} without " + ("an annotation" if report.source == "annotations" else "a prediction"))
    why = f" ({', '.join(reasons)})" if reasons else ""
    what_to_do = what_to_do or f"Label at least one {report.unit} with text in {report.tool} and export again."
    return AnnotationFormatError(
        f"{report.path}: none of its {report.documents} {report.unit}s could be read as a sentence{why}. {what_to_do}"
    )


# ---------------------------------------------------------------- Label Studio


def _task_text(data: dict[str, Any], where: str) -> str:
    """data["text"], or the task's only text field (the labelling config may name it otherwise)."""
    if isinstance(data.get("text"), str):
        return data["text"]
    texts = [value for value in data.values() if isinstance(value, str)]
    if len(texts) == 1:
        return texts[0]
    raise AnnotationFormatError(
        f"{where}: its data has no \"text\" field and {len(texts)} text fields ({sorted(data)}), so the text "
        "to label is unclear. Name the text field \"text\" (<Text name=\"text\" value=\"$text\"/>) and export again."
    )


def _label_studio_spans(result: Any, text: str, doc_id: str, where: str, report: AnnotationReport) -> list[tuple[int, int, str]]:
    """The (start, end, type) spans of one annotation's result; one span per label of a region."""
    if not isinstance(result, list):
        raise AnnotationFormatError(f"{where}: its result is {type(result).__name__}, not a list of regions.")
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
            "Export the project again from Label Studio (Export > JSON)."
        ) from None
    if isinstance(tasks, dict):  # one task on its own, as Label Studio also imports
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise AnnotationFormatError(f"{path}: holds a {type(tasks).__name__}, not a list of tasks (Label Studio's Export > JSON).")
    report = AnnotationReport(path=str(path), tool="Label Studio", unit="task", source=source, documents=len(tasks))
    if not tasks:
        raise AnnotationFormatError(f"{path}: the file holds no tasks (an empty export?). Label some tasks and export again.")
    sentences = []
    with_predictions = 0
    for index, task in enumerate(tasks, start=1):
        if not (isinstance(task, dict) and isinstance(task.get("data"), dict)):
            doccano_like = isinstance(task, dict) and "text" in task
            raise AnnotationFormatError(
                f"{path}: task {index} in the list has no \"data\" object, so it is not a Label Studio task. "
                + ("It looks like a doccano or JSON-MIN record: give doccano files as .jsonl, and export Label Studio "
                   "projects as JSON (not JSON-MIN)." if doccano_like else "Export the project as JSON (not JSON-MIN or CSV).")
            )
        doc_id = str(task.get("id", f"#{index}"))
        where = f"{path}: task {doc_id}"
        text = _task_text(task["data"], where)
        if not split_words(text):
            report.empty.append(doc_id)
            continue
        if source == "annotations":
            candidates = task.get("annotations", task.get("completions")) or []  # "completions" before Label Studio 1.0
            with_predictions += bool(task.get("predictions"))
        else:
            candidates = task.get("predictions") or []
        usable = [c for c in candidates if isinstance(c, dict) and not c.get("was_cancelled")]
        if not usable:
            report.unannotated.append(doc_id)
            continue
        if len(usable) > 1:
            report.several.append(doc_id)
        spans = _label_studio_spans(usable[0].get("result", []), text, doc_id, where, report)
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

    Each task is one sentence: the text is `data["text"]` (or the task's only text field); the spans
    are the `labels` regions of the first annotation not cancelled (tasks with several are reported,
    tasks with none are skipped and reported). With `source="predictions"` the first prediction is
    read instead (a pre-annotation file, as `write_label_studio_predictions` writes). Offsets count
    characters; spans whose offsets count UTF-16 code units, as older Label Studio releases stored
    them after an emoji, are recognised by their stored text, converted and reported.
    """
    sentences, report = _read_label_studio(Path(path), source)
    _warn(report)
    return sentences


# ---------------------------------------------------------------- doccano


def _doccano_spans(record: dict[str, Any], text: str, where: str) -> list[tuple[int, int, str]]:
    """Spans from "label" (current doccano), "labels" (older exports) or "entities" (relation projects)."""
    key = next((k for k in ("label", "labels", "entities") if k in record), None)
    raw = (record.get(key) or []) if key else []
    if not isinstance(raw, list):
        raise AnnotationFormatError(f"{where}: \"{key}\" holds {raw!r}, not a list of [start, end, type] spans.")
    spans = []
    for item in raw:
        if isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= set(item):
            spans.append(_checked_span(item["start_offset"], item["end_offset"], item["label"], text, where))
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            spans.append(_checked_span(*item, text, where))
        else:
            raise AnnotationFormatError(
                f"{where}: \"{key}\" holds {item!r}, not a [start, end, type] span. Is this a text-classification "
                "project? Export a sequence-labelling project as JSONL."
            )
    return spans


def _read_doccano(path: Path) -> tuple[list[AnnotatedSentence], AnnotationReport]:
    content = _read_text(path)
    report = AnnotationReport(path=str(path), tool="doccano", unit="document")
    sentences = []
    for line_no, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise AnnotationFormatError(
                f"{path}, line {line_no}: not valid JSON (column {err.colno}: {err.msg}). A doccano JSONL file holds one "
                "JSON object per line: export the project again (Export > JSONL)."
            ) from None
        text = record.get("text", record.get("data")) if isinstance(record, dict) else None  # "data": doccano 1.x
        if not isinstance(text, str):
            raise AnnotationFormatError(
                f"{path}, line {line_no}: no \"text\" string in {line[:80]!r}. Each line needs "
                "{\"text\": ..., \"label\": [[start, end, type], ...]} (doccano's Export > JSONL)."
            )
        report.documents += 1
        doc_id = str(record["id"]) if "id" in record else f"line {line_no}"
        spans = _doccano_spans(record, text, f"{path}, line {line_no} (document {doc_id})")
        sentence = _span_to_sentence(doc_id, text, spans, report)
        if sentence is not None:
            sentences.append(sentence)
    if not report.documents:
        raise AnnotationFormatError(f"{path}: the file holds no documents (an empty export?). Label some and export again.")
    if not sentences:
        raise _nothing_usable(report)
    return sentences, report


def read_doccano(path: str | os.PathLike) -> list[AnnotatedSentence]:
    """Sentences (id, tokens, BIO tags) from a doccano JSONL export, by the module's rule.

    One line is one document and one sentence: `{"id": ..., "text": ..., "label": [[start, end, type], ...]}`
    (older exports: "labels"; relation projects: "entities" of start_offset/end_offset/label). The id is
    the record's "id", or "line N" without one. doccano does not say whether a document was labelled:
    one without spans is read as a sentence without entities (export only approved documents to
    leave unlabelled ones out).
    """
    sentences, report = _read_doccano(Path(path))
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
    path: str | os.PathLike, label_names: Sequence[str] | None = None
) -> tuple[list[tuple[list[str], list[str]]], AnnotationReport]:
    """(tokens, tags) sentences and a report, as `data.read_conll` gives: .json is Label Studio, .jsonl doccano.

    With `label_names`, a tag outside that set raises AnnotationFormatError naming the document.
    """
    path = Path(path)
    suffix = path.suffix.lower()
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
        sentences, report = _read_doccano(path)
    else:
        raise AnnotationFormatError(
            f"{path}: annotation files end in .json (Label Studio's Export > JSON) or .jsonl (doccano's Export > JSONL)."
        )
    if label_names is not None:
        allowed = set(label_names)
        for sentence in sentences:
            outside = sorted(set(sentence.tags) - allowed)
            if outside:
                raise AnnotationFormatError(
                    f"{path}: {report.unit} {sentence.id} has tag(s) {outside}, not in the label set {list(label_names)}. "
                    "Rename the label in the tool, or load with label_names=None to discover the labels from the data."
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


def to_doccano(texts: Sequence[str], entities: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """doccano records `{"text", "label": [[start, end, type], ...]}` from `predict_entities(texts, ...)`."""
    return [
        {"text": text, "label": [[e["start"], e["end"], e["type"]] for e in found]}
        for text, found in _checked_entities(texts, entities)
    ]


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


def write_doccano(path: str | os.PathLike, texts: Sequence[str], entities: Sequence[Sequence[dict[str, Any]]]) -> Path:
    """Write `to_doccano(...)` as a JSONL file (one document per line) for doccano's Import; return its path."""
    records = to_doccano(texts, entities)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
