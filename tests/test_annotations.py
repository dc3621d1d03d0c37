"""Label Studio and doccano exports to words and BIO tags, and the model's entities back to the tools.

The two exports in tests/data/annotations were written by hand for these tests; the words and tags
expected from them are written out below, not computed.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from ner_helpers.annotations import (
    AnnotatedSentence,
    read_annotation_file,
    read_doccano,
    read_label_studio,
    to_doccano,
    to_label_studio_predictions,
    write_doccano,
    write_label_studio_predictions,
)
from ner_helpers.errors import AnnotationFormatError
from ner_helpers.inference import split_words

ANNOTATIONS = Path(__file__).parent / "data" / "annotations"
LABEL_STUDIO = ANNOTATIONS / "label_studio_export.json"
DOCCANO = ANNOTATIONS / "doccano_export.jsonl"

JUST_LANDED = (
    ["Just", "landed", "in", "New", "York", "with", "@maria_k", "!"],
    ["O", "O", "O", "B-location", "I-location", "O", "B-person", "O"],
)


def read_with_warnings(reader, *args, **kwargs):
    """What the reader returns, and the messages of the warnings it gave, in order."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = reader(*args, **kwargs)
    return result, [str(w.message) for w in caught]


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in content), encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def task(text, *regions, task_id=1, key="annotations"):
    """A Label Studio task with one annotation (or prediction) of (start, end, type) regions."""
    result = [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": s, "end": e, "text": text[s:e], "labels": [t]}}
        for s, e, t in regions
    ]
    return {"id": task_id, "data": {"text": text}, key: [{"result": result}]}


# ---------------------------------------------------------------- Label Studio export


def test_label_studio_export_gives_the_words_and_tags_written_out_by_hand():
    sentences, _ = read_with_warnings(read_label_studio, LABEL_STUDIO)
    assert sentences == [
        AnnotatedSentence("1", *JUST_LANDED),
        AnnotatedSentence(
            "2",
            ["Loving", "the", "York-based", "band", "Hot", "Chip"],
            ["O", "O", "B-location", "O", "B-group", "I-group"],
        ),
        AnnotatedSentence(
            "3",
            ["Watching", "Star", "Wars", "at", "the", "Odeon", "Leicester", "Square"],
            ["O", "B-creative-work", "I-creative-work", "O", "O", "B-location", "I-location", "I-location"],
        ),
        AnnotatedSentence("5", ["No", "entities", "here", ",", "just", "a", "tweet", ":)"], ["O"] * 8),
        AnnotatedSentence("7", ["😀", "Paris", "is", "lovely"], ["O", "B-location", "O", "O"]),
    ]


def test_label_studio_export_reports_each_repair_and_drop_with_its_count_and_task_ids():
    _, messages = read_with_warnings(read_label_studio, LABEL_STUDIO)
    assert messages == [
        f"{LABEL_STUDIO}: 1 span(s) not on word boundaries were widened to the words they touch (tasks 2).",
        f"{LABEL_STUDIO}: 1 overlapping span(s) were dropped (the span with more words, or the earlier one, was kept) (tasks 3).",
        f"{LABEL_STUDIO}: 1 task(s) without text were skipped (tasks 4).",
        f"{LABEL_STUDIO}: 1 task(s) without an annotation were skipped (tasks 6).",
        f"{LABEL_STUDIO}: 1 task(s) have several annotations: the first not cancelled was read (tasks 5).",
        f"{LABEL_STUDIO}: 1 span(s) had offsets in UTF-16 code units (JavaScript's) and were converted to characters (tasks 7).",
    ]


def test_a_cancelled_annotation_is_passed_over_for_the_next_one():
    # Task 1's first annotation is cancelled and tags "Just" as a person: the second one is read.
    sentences, _ = read_with_warnings(read_label_studio, LABEL_STUDIO)
    assert sentences[0].tags[0] == "O"


def test_report_summary_counts_what_was_read_and_ignored():
    (_, report), _ = read_with_warnings(read_annotation_file, LABEL_STUDIO)
    summary = report.summary()
    assert summary.startswith(
        f"{LABEL_STUDIO}: 5 sentences, 34 tokens, 7 entities from 7 Label Studio tasks (one task = one sentence); "
    )
    assert "1 result item(s) that are not text spans ignored" in summary  # task 1's sentiment choice


def test_label_studio_reads_predictions_when_asked():
    sentences, messages = read_with_warnings(read_label_studio, LABEL_STUDIO, source="predictions")
    assert sentences == [AnnotatedSentence("6", ["Nobody", "labelled", "this", "one", "yet"], ["B-person"] + ["O"] * 4)]
    assert f"{LABEL_STUDIO}: 5 task(s) without a prediction were skipped (tasks 1, 2, 3, 5, 7)." in messages


def test_overlapping_spans_of_equal_length_keep_the_earlier_one(tmp_path):
    path = write(tmp_path, "tie.json", [task("Paris Hilton", (0, 12, "person"), (0, 12, "location"))])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["B-person", "I-person"]
    assert messages == [f"{path}: 1 overlapping span(s) were dropped (the span with more words, or the earlier one, was kept) (tasks 1)."]


def test_a_span_covering_only_spaces_is_dropped_and_reported(tmp_path):
    path = write(tmp_path, "space.json", [task("Back in  Berlin", (7, 9, "location"), (9, 15, "location"))])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["O", "O", "B-location"]
    assert messages == [f"{path}: 1 span(s) covering no word (empty or only spaces) were dropped (tasks 1)."]


def test_a_stored_text_that_is_not_at_the_offsets_is_reported_and_the_offsets_win(tmp_path):
    record = task("Back in Berlin", (8, 14, "location"))
    record["annotations"][0]["result"][0]["value"]["text"] = "Bremen"
    path = write(tmp_path, "differs.json", [record])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["O", "O", "B-location"]
    assert messages == [f"{path}: 1 span(s) store a text that differs from the document at their offsets: read by offsets (tasks 1)."]


def test_long_id_lists_are_cut_after_five(tmp_path):
    path = write(tmp_path, "many.json", [task("", task_id=i) for i in range(1, 8)] + [task("ok", task_id=8)])
    _, messages = read_with_warnings(read_label_studio, path)
    assert messages == [f"{path}: 7 task(s) without text were skipped (tasks 1, 2, 3, 4, 5 ...)."]


# ---------------------------------------------------------------- doccano export


def test_doccano_export_gives_the_words_and_tags_written_out_by_hand():
    sentences, _ = read_with_warnings(read_doccano, DOCCANO)
    assert sentences == [
        AnnotatedSentence("11", *JUST_LANDED),
        AnnotatedSentence(
            "12", ["Shoutout", "to", "@maria_k", "for", "the", "tickets"], ["O", "O", "B-person", "O", "O", "O"]
        ),
        AnnotatedSentence(
            "13",
            ["I", "love", "Harry", "Potter", "and", "the", "Goblet", "of", "Fire"],
            ["O", "O", "B-creative-work"] + ["I-creative-work"] * 6,
        ),
        AnnotatedSentence(  # written with the older key "labels"
            "15",
            ["Apple", "Inc", ".", "opened", "a", "store", "in", "Paris"],
            ["B-corporation", "I-corporation", "I-corporation", "O", "O", "O", "O", "B-location"],
        ),
    ]


def test_doccano_export_reports_each_repair_and_drop_with_its_count_and_document_ids():
    _, messages = read_with_warnings(read_doccano, DOCCANO)
    assert messages == [
        f"{DOCCANO}: 1 span(s) not on word boundaries were widened to the words they touch (documents 12).",
        f"{DOCCANO}: 1 overlapping span(s) were dropped (the span with more words, or the earlier one, was kept) (documents 13).",
        f"{DOCCANO}: 1 document(s) without text were skipped (documents 14).",
    ]


def test_doccano_without_ids_names_documents_by_line_and_reads_relation_exports(tmp_path):
    path = write(tmp_path, "relations.jsonl", [
        {"text": "   ", "entities": []},
        {"text": "Off to Rome", "entities": [{"id": 1, "label": "location", "start_offset": 7, "end_offset": 11}],
         "relations": []},
    ])
    sentences, messages = read_with_warnings(read_doccano, path)
    assert sentences == [AnnotatedSentence("line 2", ["Off", "to", "Rome"], ["O", "O", "B-location"])]
    assert messages == [f"{path}: 1 document(s) without text were skipped (documents line 1)."]


# ---------------------------------------------------------------- what cannot be read


def test_label_studio_file_that_is_not_json_names_file_line_and_the_jsonl_route(tmp_path):
    path = write(tmp_path, "lines.json", '{"text": "a", "label": []}\n{"text": "b", "label": []}\n')
    with pytest.raises(AnnotationFormatError, match=r"lines\.json, line 2, column 1: not valid JSON \(Extra data\)\. .*name the file \.jsonl"):
        read_label_studio(path)


def test_doccano_line_that_is_not_json_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.jsonl", '{"text": "fine", "label": []}\n{"text": "cut\n')
    with pytest.raises(AnnotationFormatError, match=r"broken\.jsonl, line 2: not valid JSON"):
        read_doccano(path)


def test_a_file_with_no_usable_document_is_an_error_saying_why(tmp_path):
    path = write(tmp_path, "empty.jsonl", [{"id": 1, "text": "", "label": []}, {"id": 2, "text": " ", "label": []}])
    with pytest.raises(AnnotationFormatError, match=r"empty\.jsonl: none of its 2 documents could be read as a sentence \(2 without text\)\. Label at least one"):
        read_with_warnings(read_doccano, path)


def test_a_pre_annotation_file_read_as_annotations_says_how_to_read_it(tmp_path):
    path = write_label_studio_predictions(tmp_path / "pre.json", ["Off to Rome"], [[]], "v1")
    with pytest.raises(AnnotationFormatError, match=r"1 without an annotation.*pre-annotation file\?.*source=\"predictions\""):
        read_with_warnings(read_label_studio, path)


def test_a_span_outside_its_text_names_the_task(tmp_path):
    path = write(tmp_path, "outside.json", [task("Rome", (0, 4, "location"), task_id=9)])
    record = json.loads(path.read_text())
    record[0]["annotations"][0]["result"][0]["value"].update(start=10, end=14, text=None)
    path.write_text(json.dumps(record))
    with pytest.raises(AnnotationFormatError, match=r"outside\.json: task 9: span \[10, 14\] \(location\) lies outside the text of 4 characters"):
        read_label_studio(path)


def test_a_text_classification_export_is_recognised(tmp_path):
    path = write(tmp_path, "classes.jsonl", [{"id": 3, "text": "great", "label": ["positive"]}])
    with pytest.raises(AnnotationFormatError, match=r"line 1 \(document 3\): \"label\" holds 'positive', not a \[start, end, type\] span\. Is this a text-classification"):
        read_doccano(path)


def test_a_doccano_list_given_as_json_points_to_jsonl(tmp_path):
    path = write(tmp_path, "doccano.json", [{"text": "Off to Rome", "label": [[7, 11, "location"]]}])
    with pytest.raises(AnnotationFormatError, match=r"task 1 in the list has no \"data\" object.*give doccano files as \.jsonl"):
        read_label_studio(path)


def test_a_task_with_several_text_fields_and_none_named_text_is_an_error(tmp_path):
    path = write(tmp_path, "fields.json", [{"id": 4, "data": {"title": "Rome", "body": "Off to Rome"}, "annotations": []}])
    with pytest.raises(AnnotationFormatError, match=r"task 4: its data has no \"text\" field and 2 text fields \(\['body', 'title'\]\)"):
        read_label_studio(path)
    one_field = write(tmp_path, "one.json", [{"id": 5, "data": {"tweet": "Off to Rome"}, "annotations": [{"result": []}]}])
    assert read_label_studio(one_field) == [AnnotatedSentence("5", ["Off", "to", "Rome"], ["O", "O", "O"])]


def test_a_missing_file_and_an_unknown_suffix_are_errors(tmp_path):
    with pytest.raises(AnnotationFormatError, match=r"nothing\.json: file not found"):
        read_label_studio(tmp_path / "nothing.json")
    with pytest.raises(AnnotationFormatError, match=r"\.json \(Label Studio's Export > JSON\) or \.jsonl"):
        read_annotation_file(write(tmp_path, "spans.txt", "x"))


def test_a_tag_outside_the_label_set_names_the_document():
    with pytest.raises(AnnotationFormatError, match=r"document 15 has tag\(s\) \['B-corporation', 'I-corporation'\], not in the label set"):
        read_with_warnings(read_annotation_file, DOCCANO, label_names=["O", "B-location", "I-location", "B-person", "I-person",
                                                                        "B-creative-work", "I-creative-work"])


def test_read_annotation_file_gives_what_read_conll_gives():
    (sentences, report), _ = read_with_warnings(read_annotation_file, DOCCANO)
    assert sentences[0] == JUST_LANDED
    assert (report.sentences, report.tokens) == (4, 31)


# ---------------------------------------------------------------- out to the tools, and back


TEXTS = ["Just landed in New York with @maria_k !", "nothing to see", "😀 Paris is lovely #NYC"]
ENTITIES = [  # as predict_entities returns them: on split_words boundaries
    [
        {"type": "location", "text": "New York", "start": 15, "end": 23, "score": 0.91},
        {"type": "person", "text": "@maria_k", "start": 29, "end": 37, "score": 0.62},
    ],
    [],
    [
        {"type": "location", "text": "Paris", "start": 2, "end": 7, "score": 0.88},
        {"type": "location", "text": "#NYC", "start": 18, "end": 22, "score": 0.55},
    ],
]


def spans_from_tags(text: str, tags: list[str]) -> list[tuple[int, int, str]]:
    """Character spans of the entities a sentence's BIO tags mark, on the text's words."""
    spans = []
    for (start, end), tag in zip(split_words(text), tags):
        if tag.startswith("B-"):
            spans.append([start, end, tag[2:]])
        elif tag.startswith("I-"):
            spans[-1][1] = end
    return [tuple(span) for span in spans]


def test_label_studio_predictions_have_the_import_format():
    tasks = to_label_studio_predictions(TEXTS[:2], ENTITIES[:2], "wnut17-minilm")
    assert tasks[0] == {
        "data": {"text": TEXTS[0]},
        "predictions": [{
            "model_version": "wnut17-minilm",
            "score": 0.62,
            "result": [
                {"from_name": "label", "to_name": "text", "type": "labels", "score": 0.91,
                 "value": {"start": 15, "end": 23, "text": "New York", "labels": ["location"]}},
                {"from_name": "label", "to_name": "text", "type": "labels", "score": 0.62,
                 "value": {"start": 29, "end": 37, "text": "@maria_k", "labels": ["person"]}},
            ],
        }],
    }
    assert tasks[1] == {"data": {"text": "nothing to see"}, "predictions": [{"model_version": "wnut17-minilm", "result": []}]}


def test_doccano_records_have_the_import_format():
    assert to_doccano(TEXTS[:2], ENTITIES[:2]) == [
        {"text": TEXTS[0], "label": [[15, 23, "location"], [29, 37, "person"]]},
        {"text": "nothing to see", "label": []},
    ]


def test_predictions_written_for_label_studio_load_back_with_the_same_spans(tmp_path):
    path = write_label_studio_predictions(tmp_path / "out" / "pre.json", TEXTS, ENTITIES, "v1")
    sentences, messages = read_with_warnings(read_label_studio, path, source="predictions")
    assert messages == []
    assert [s.id for s in sentences] == ["#1", "#2", "#3"]
    assert [spans_from_tags(t, s.tags) for t, s in zip(TEXTS, sentences)] == [
        [(e["start"], e["end"], e["type"]) for e in found] for found in ENTITIES
    ]


def test_predictions_accepted_in_label_studio_load_back_through_the_export_route(tmp_path):
    # A person accepts every prediction: Label Studio exports them as the task's annotation.
    tasks = to_label_studio_predictions(TEXTS, ENTITIES, "v1")
    for i, t in enumerate(tasks, start=1):
        t.update(id=i, annotations=[{"result": t["predictions"][0]["result"], "was_cancelled": False}])
    sentences, messages = read_with_warnings(read_label_studio, write(tmp_path, "accepted.json", tasks))
    assert messages == []
    assert [spans_from_tags(t, s.tags) for t, s in zip(TEXTS, sentences)] == [
        [(e["start"], e["end"], e["type"]) for e in found] for found in ENTITIES
    ]


def test_predictions_written_for_doccano_load_back_with_the_same_spans(tmp_path):
    path = write_doccano(tmp_path / "pre.jsonl", TEXTS, ENTITIES)
    assert path.read_text(encoding="utf-8").count("\n") == 3
    sentences, messages = read_with_warnings(read_doccano, path)
    assert messages == []
    assert [spans_from_tags(t, s.tags) for t, s in zip(TEXTS, sentences)] == [
        [(e["start"], e["end"], e["type"]) for e in found] for found in ENTITIES
    ]


def test_entities_that_do_not_belong_to_the_texts_are_refused():
    with pytest.raises(ValueError, match=r"pass \[text\]"):
        to_doccano(TEXTS[0], ENTITIES[0])
    with pytest.raises(ValueError, match=r"3 texts but 2 lists of entities"):
        to_doccano(TEXTS, ENTITIES[:2])
    with pytest.raises(ValueError, match=r"one list of entities per text"):
        to_doccano(TEXTS[:1], ENTITIES[0][:1])
    with pytest.raises(ValueError, match=r"entities\[0\]\[0\] \('Paris' at \[2, 7\]\) is not in texts\[0\] at its offsets"):
        to_label_studio_predictions(TEXTS[:1], [ENTITIES[2][:1]], "v1")


def test_a_pre_annotation_file_in_data_files_is_read_with_a_warning_to_correct_it(tmp_path):
    from ner_helpers.annotations import read_annotation_file

    path = write_label_studio_predictions(tmp_path / "pre.json", TEXTS, ENTITIES, "v1")
    with pytest.warns(UserWarning, match=r"only the model's predictions .* Correct them in Label Studio"):
        sentences, _ = read_annotation_file(path)
    assert len(sentences) == len([t for t in TEXTS if t.strip()])


def test_notebook_01s_loader_reads_label_studio_and_doccano_exports_through_data_files():
    from ner_helpers.data import load_data

    with pytest.warns(UserWarning):
        dataset = load_data(data_files={"train": LABEL_STUDIO, "test": DOCCANO})
    assert dataset["train"].num_rows > 0 and dataset["test"].num_rows > 0
    names = dataset["train"].features["ner_tags"].feature.names
    assert names[0] == "O" and all(n == "O" or n[:2] in ("B-", "I-") for n in names)
