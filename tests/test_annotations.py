"""Label Studio and doccano exports to words and BIO tags, and the model's entities back to the tools.

The two exports in tests/data/annotations were written by hand for these tests; the words and tags
expected from them are written out below, not computed.
"""
from __future__ import annotations

import json
import warnings
import zipfile
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


def report_of(path: Path, **kwargs):
    """The AnnotationReport of reading a file through notebook 01's route (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_annotation_file(path, **kwargs)[1]


def tags_of(path: Path, **kwargs) -> list[list[tuple[str, str]]]:
    """(word, tag) pairs of each sentence read from a doccano file (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [list(zip(s.tokens, s.tags)) for s in read_doccano(path, **kwargs)]


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
    elif name.lower().endswith(".jsonl"):
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
    report = report_of(LABEL_STUDIO)
    assert (report.widened, report.overlapping, report.empty, report.unannotated, report.several, report.utf16) == (
        ["2"], ["3"], ["4"], ["6"], ["5"], ["7"]
    )
    assert (report.no_word, report.text_differs, report.other_field, report.unlabelled) == ([], [], [], [])
    _, messages = read_with_warnings(read_label_studio, LABEL_STUDIO)
    assert len(messages) == 6 and all(m.startswith(f"{LABEL_STUDIO}: 1 ") for m in messages)


def test_a_cancelled_annotation_is_passed_over_for_the_next_one():
    # Task 1's first annotation is cancelled and tags "Just" as a person: the second one is read.
    sentences, _ = read_with_warnings(read_label_studio, LABEL_STUDIO)
    assert sentences[0].tags[0] == "O"


def test_report_summary_counts_what_was_read_and_ignored():
    report = report_of(LABEL_STUDIO)
    assert (report.sentences, report.tokens, report.entities, report.documents) == (5, 34, 7, 7)
    assert report.ignored_items == 1  # task 1's sentiment choice
    assert report.summary().startswith(f"{LABEL_STUDIO}: 5 sentences, 34 tokens, 7 entities from 7 Label Studio tasks")


def test_label_studio_reads_predictions_when_asked():
    sentences, messages = read_with_warnings(read_label_studio, LABEL_STUDIO, source="predictions")
    assert sentences == [AnnotatedSentence("6", ["Nobody", "labelled", "this", "one", "yet"], ["B-person"] + ["O"] * 4)]
    assert any(m.startswith(f"{LABEL_STUDIO}: 5 ") and "(tasks 1, 2, 3, 5, 7)" in m for m in messages)


def test_overlapping_spans_of_equal_length_keep_the_earlier_one(tmp_path):
    path = write(tmp_path, "tie.json", [task("Paris Hilton", (0, 12, "person"), (0, 12, "location"))])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["B-person", "I-person"]
    assert report_of(path).overlapping == ["1"] and len(messages) == 1


def test_a_span_covering_only_spaces_is_dropped_and_reported(tmp_path):
    path = write(tmp_path, "space.json", [task("Back in  Berlin", (7, 9, "location"), (9, 15, "location"))])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["O", "O", "B-location"]
    assert report_of(path).no_word == ["1"] and len(messages) == 1


def test_a_stored_text_that_is_not_at_the_offsets_is_reported_and_the_offsets_win(tmp_path):
    record = task("Back in Berlin", (8, 14, "location"))
    record["annotations"][0]["result"][0]["value"]["text"] = "Bremen"
    path = write(tmp_path, "differs.json", [record])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["O", "O", "B-location"]
    assert report_of(path).text_differs == ["1"] and len(messages) == 1


def test_long_id_lists_are_cut_after_five(tmp_path):
    path = write(tmp_path, "many.json", [task("", task_id=i) for i in range(1, 8)] + [task("ok", task_id=8)])
    _, messages = read_with_warnings(read_label_studio, path)
    assert len(messages) == 1 and messages[0].startswith(f"{path}: 7 ") and messages[0].endswith("(tasks 1, 2, 3, 4, 5 ...).")


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
    report = report_of(DOCCANO)
    assert (report.widened, report.overlapping, report.empty) == (["12"], ["13"], ["14"])
    assert (report.unlabelled, report.converted, report.no_word) == ([], [], [])  # every document has spans; no emoji
    _, messages = read_with_warnings(read_doccano, DOCCANO)
    assert len(messages) == 3


def test_doccano_without_ids_names_documents_by_line_and_reads_relation_exports(tmp_path):
    path = write(tmp_path, "relations.jsonl", [
        {"text": "   ", "entities": []},
        {"text": "Off to Rome", "entities": [{"id": 1, "label": "location", "start_offset": 7, "end_offset": 11}],
         "relations": []},
    ])
    sentences, messages = read_with_warnings(read_doccano, path)
    assert sentences == [AnnotatedSentence("line 2", ["Off", "to", "Rome"], ["O", "O", "B-location"])]
    assert report_of(path).empty == ["line 1"] and len(messages) == 1


# ---------------------------------------------------------------- doccano offsets: UTF-16 code units, as doccano counts


def doccano_line(text: str, *spans, doc_id: int = 1, key: str = "label", **extra) -> dict:
    """One record of doccano's Export > JSONL (sequence labelling), spans as [start, end, type]."""
    return {"id": doc_id, "text": text, key: [list(span) for span in spans], "Comments": [], **extra}


def test_doccano_offsets_after_emoji_are_read_as_utf16_code_units_the_issues_two_examples(tmp_path):
    # Offsets as doccano's editor stores them: each emoji counts 2 (JavaScript's UTF-16 string length).
    path = write(tmp_path, "emoji.jsonl", [
        doccano_line("😂😂😂 NYC is lit", (7, 10, "location"), doc_id=1),
        doccano_line("🎶🎶 Taylor Swift at Wembley Stadium with Ed Sheeran tonight",
                     (5, 17, "person"), (21, 36, "location"), (42, 52, "person"), doc_id=2),
    ])
    nyc, taylor = tags_of(path)
    assert nyc[3:5] == [("NYC", "B-location"), ("is", "O")]
    assert taylor[2:] == [("Taylor", "B-person"), ("Swift", "I-person"), ("at", "O"), ("Wembley", "B-location"),
                          ("Stadium", "I-location"), ("with", "O"), ("Ed", "B-person"), ("Sheeran", "I-person"), ("tonight", "O")]
    report = report_of(path)
    assert report.widened == [] and report.offsets == "utf-16"
    assert report.converted == ["1", "2", "2", "2"]  # every span after an emoji is named in a warning


def test_doccano_emoji_before_inside_and_after_spans_and_relation_exports(tmp_path):
    text = "Just saw Guardians 🚀 Galaxy at the Odeon 🍿🍿"
    path = write(tmp_path, "inside.jsonl", [
        doccano_line(text, (9, 28, "creative-work"), (36, 41, "location")),
        {"id": 2, "text": "Off to Rome 😀 with @maria_k", "relations": [],
         "entities": [{"id": 7, "label": "location", "start_offset": 7, "end_offset": 11},
                      {"id": 8, "label": "person", "start_offset": 20, "end_offset": 28}]},
    ])
    guardians, rome = tags_of(path)
    assert [tag for _, tag in guardians] == ["O", "O", "B-creative-work", "I-creative-work", "I-creative-work",
                                              "O", "O", "B-location", "O", "O"]
    assert rome == [("Off", "O"), ("to", "O"), ("Rome", "B-location"), ("😀", "O"), ("with", "O"), ("@maria_k", "B-person")]
    assert report_of(path).converted == ["1", "1", "2"]  # "Rome" comes before the emoji: its offsets do not move


def test_doccano_offsets_in_code_points_or_graphemes_when_asked_or_when_the_record_says_so(tmp_path):
    # doccano/doccano#2290's example: "firetrucks" is [22, 32] in UTF-16, [19, 29] in Python, [16, 26] in graphemes.
    text = "👨🏻‍🚒 firemen drive firetrucks"
    utf16 = write(tmp_path, "utf16.jsonl", [doccano_line(text, (22, 32, "product"))])
    code_points = write(tmp_path, "script.jsonl", [doccano_line(text, (19, 29, "product"))])
    graphemes = write(tmp_path, "graphemes.jsonl", [doccano_line(text, (16, 26, "product"))])
    said = write(tmp_path, "said.jsonl", [doccano_line(text, (19, 29, "product"), offsets="code-points")])
    expected = [("firetrucks", "B-product")]
    assert tags_of(utf16)[0][-1:] == expected
    assert tags_of(code_points, offsets="code-points")[0][-1:] == expected
    assert tags_of(graphemes, offsets="graphemes")[0][-1:] == expected
    assert tags_of(said)[0][-1:] == expected  # the record's "offsets" key wins over the default
    (sentences, report) = read_annotation_file(code_points, offsets="code-points")
    assert sentences[0][1][-1] == "B-product" and report.converted == []


def test_an_offset_inside_an_emoji_or_past_the_text_names_file_line_and_document(tmp_path):
    inside = write(tmp_path, "inside.jsonl", [doccano_line("fine", doc_id=1), doccano_line("😂 NYC", (1, 6, "location"), doc_id=2)])
    with pytest.raises(AnnotationFormatError) as error:
        read_doccano(inside)
    assert (error.value.file, error.value.line, error.value.record) == (str(inside), 2, "2")
    assert "U+1F602" in str(error.value)  # the emoji the offset falls inside
    past = write(tmp_path, "past.jsonl", [doccano_line("😂 NYC", (3, 7, "location"), doc_id=5)])
    with pytest.raises(AnnotationFormatError) as error:
        read_doccano(past)
    assert (error.value.line, error.value.record) == (1, "5")
    assert "offsets=\"code-points\"" not in str(error.value)  # [3, 7] does not fit as characters either: no such hint
    script = write(tmp_path, "script.jsonl", [doccano_line("😂😂 NYC", (3, 6, "location"))])  # Python's indices: 3 is mid-emoji
    with pytest.raises(AnnotationFormatError, match="offsets=\"code-points\""):
        read_doccano(script)


def test_an_unknown_offsets_unit_is_refused_naming_the_accepted_ones(tmp_path):
    path = write(tmp_path, "ok.jsonl", [doccano_line("Off to Rome", (7, 11, "location"))])
    with pytest.raises(ValueError, match="code-points"):
        read_doccano(path, offsets="characters")
    bad_key = write(tmp_path, "bad.jsonl", [doccano_line("Off to Rome", (7, 11, "location"), offsets="bytes")])
    with pytest.raises(AnnotationFormatError) as error:
        read_doccano(bad_key)
    assert (error.value.line, error.value.record) == (1, "1")


# ---------------------------------------------------------------- doccano: files and documents without spans


def test_documents_without_spans_are_counted_and_kept_or_left_out(tmp_path):
    # doccano's default export: every document, the unlabelled ones with "label": [].
    path = write(tmp_path, "per_member.jsonl", [
        doccano_line("Off to Rome", (7, 11, "location"), doc_id=1),
        doccano_line("nothing here", doc_id=2),
        doccano_line("not labelled yet 😂", doc_id=3),
        doccano_line("Paris again", (0, 5, "location"), doc_id=4),
        doccano_line("", doc_id=5),
    ])
    (sentences, report), messages = read_with_warnings(read_annotation_file, path)
    assert len(sentences) == 4 and report.unlabelled == ["2", "3"] and report.empty == ["5"]
    assert any(m.startswith(f"{path}: 2 of 5 ") and "documents 2, 3" in m for m in messages)
    (kept, report), _ = read_with_warnings(read_annotation_file, path, skip_unlabelled=True)
    assert [tags for _, tags in kept] == [["O", "O", "B-location"], ["B-location", "O"]]
    assert report.unlabelled == ["2", "3"] and report.sentences == 2
    assert [s.id for s in read_with_warnings(read_doccano, path, skip_unlabelled=True)[0]] == ["1", "4"]


def test_a_file_whose_documents_all_lack_spans_and_are_left_out_is_an_error(tmp_path):
    path = write(tmp_path, "none.jsonl", [doccano_line("nothing here", doc_id=1), doccano_line("nor here", doc_id=2)])
    assert len(read_with_warnings(read_doccano, path)[0]) == 2  # kept, and counted
    with pytest.raises(AnnotationFormatError) as error:
        read_with_warnings(read_doccano, path, skip_unlabelled=True)
    assert error.value.file == str(path)


def test_doccano_1x_annotations_of_label_ids_are_refused_naming_the_keys(tmp_path):
    # doccano 1.x's old export (doccano/doccano#113): "annotations" whose "label" is the label's id, not its name.
    path = write(tmp_path, "doccano12.jsonl", [
        {"id": 15, "text": "EU rejects German call", "meta": {}, "annotation_approver": None,
         "annotations": [{"label": 7, "start_offset": 0, "end_offset": 2, "user": 1}]},
        {"id": 16, "text": "Peter Blackburn", "meta": {}, "annotation_approver": None,
         "annotations": [{"label": 8, "start_offset": 0, "end_offset": 15, "user": 1}]},
    ])
    with pytest.raises(AnnotationFormatError) as error:
        read_doccano(path)
    assert error.value.file == str(path)
    assert error.value.keys_found == ["annotation_approver", "annotations", "id", "meta", "text"]
    assert "1.x" in str(error.value)


def test_a_file_of_plain_texts_is_refused_as_having_no_spans(tmp_path):
    path = write(tmp_path, "texts.jsonl", [{"text": "Off to Rome"}, {"text": "Paris again"}])
    with pytest.raises(AnnotationFormatError) as error:
        read_annotation_file(path)
    assert (error.value.file, error.value.keys_found) == (str(path), ["text"])


def test_doccano_13_to_16_records_with_data_for_text_and_labels_for_label_are_read(tmp_path):
    path = write(tmp_path, "old.jsonl", [{"id": 3, "data": "😀 Off to Rome", "labels": [[10, 14, "location"]], "meta": {}}])
    assert tags_of(path) == [[("😀", "O"), ("Off", "O"), ("to", "O"), ("Rome", "B-location")]]


def test_a_zip_is_recognised_by_its_bytes_or_suffix_and_the_files_inside_are_named(tmp_path):
    archive = tmp_path / "project.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("admin.jsonl", json.dumps(doccano_line("Off to Rome", (7, 11, "location"))) + "\n")
        z.writestr("maria.jsonl", json.dumps(doccano_line("Off to Rome")) + "\n")
    from ner_helpers.conll import read_data_file  # notebook 01's reader of data_files

    renamed = tmp_path / "downloaded.jsonl"  # a .zip saved under the export's name: told by its first bytes
    renamed.write_bytes(archive.read_bytes())
    as_conll = tmp_path / "train.conll"
    as_conll.write_bytes(archive.read_bytes())
    for path in (archive, renamed, as_conll):
        for reader in (read_doccano, read_annotation_file, read_data_file):
            with pytest.raises(AnnotationFormatError) as error:
                reader(path)
            assert (error.value.file, error.value.members) == (str(path), ["admin.jsonl", "maria.jsonl"])
    not_an_archive = write(tmp_path, "notes.ZIP", "just text")
    with pytest.raises(AnnotationFormatError) as error:
        read_annotation_file(not_an_archive)
    assert error.value.members == []


def test_suffixes_are_read_in_any_case(tmp_path):
    from ner_helpers.conll import read_data_file

    upper = write(tmp_path, "EXPORT.JSONL", [doccano_line("Off to Rome", (7, 11, "location"))])
    label_studio = write(tmp_path, "Export.JSON", [task("Off to Rome", (7, 11, "location"))])
    assert report_of(upper).tool == "doccano" and report_of(label_studio).tool == "Label Studio"
    assert read_data_file(upper)[0] == [(["Off", "to", "Rome"], ["O", "O", "B-location"])]


# ---------------------------------------------------------------- Label Studio: which data field is labelled


def test_label_studio_follows_the_field_the_regions_label(tmp_path):
    region = {"from_name": "label", "to_name": "tweet", "type": "labels",
              "value": {"start": 7, "end": 11, "text": "Rome", "labels": ["location"]}}
    # <Text name="tweet" value="$tweet"/>: to_name is the field; "text" holds something else
    named = {"id": 1, "data": {"text": "an instruction for annotators", "tweet": "Off to Rome 😀"},
             "annotations": [{"result": [region]}]}
    # <Text name="text" value="$tweet"/>: to_name says "text", the stored "Rome" stands only in "tweet"
    renamed = {"id": 2, "data": {"text": "an instruction for annotators", "tweet": "Off to Rome 😀"},
               "annotations": [{"result": [{**region, "to_name": "text"}]}]}
    no_stored_text = {"id": 3, "data": {"text": "an instruction for annotators", "tweet": "Off to Rome 😀"},
                      "annotations": [{"result": [{**region, "value": {"start": 7, "end": 11, "labels": ["location"]}}]}]}
    path = write(tmp_path, "tweet_field.json", [named, renamed, no_stored_text])
    sentences, _ = read_with_warnings(read_label_studio, path)
    assert [s.tokens for s in sentences] == [["Off", "to", "Rome", "😀"]] * 3
    assert [s.tags for s in sentences] == [["O", "O", "B-location", "O"]] * 3
    assert report_of(path).other_field == ["1", "2", "3"] and report_of(path).text_differs == []


def test_label_studio_emoji_inside_and_around_spans_in_characters_need_no_repair(tmp_path):
    text = "Just saw Guardians 🚀 Galaxy at the Odeon 🍿🍿"  # Label Studio 1.0 and later: offsets in characters
    path = write(tmp_path, "modern.json", [task(text, (9, 27, "creative-work"), (35, 40, "location"))])
    sentences, messages = read_with_warnings(read_label_studio, path)
    assert sentences[0].tags == ["O", "O", "B-creative-work", "I-creative-work", "I-creative-work", "O", "O", "B-location", "O", "O"]
    assert messages == []


# ---------------------------------------------------------------- what cannot be read


def test_label_studio_file_that_is_not_json_names_file_line_and_the_jsonl_route(tmp_path):
    path = write(tmp_path, "lines.json", '{"text": "a", "label": []}\n{"text": "b", "label": []}\n')
    with pytest.raises(AnnotationFormatError, match=r"\.jsonl") as error:
        read_label_studio(path)
    assert (error.value.file, error.value.line) == (str(path), 2)


def test_doccano_line_that_is_not_json_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.jsonl", '{"text": "fine", "label": []}\n{"text": "cut\n')
    with pytest.raises(AnnotationFormatError) as error:
        read_doccano(path)
    assert (error.value.file, error.value.line) == (str(path), 2)


def test_a_file_with_no_usable_document_is_an_error_saying_why(tmp_path):
    path = write(tmp_path, "empty.jsonl", [{"id": 1, "text": "", "label": []}, {"id": 2, "text": " ", "label": []}])
    with pytest.raises(AnnotationFormatError, match=r"2 without text") as error:
        read_with_warnings(read_doccano, path)
    assert error.value.file == str(path)


def test_a_pre_annotation_file_read_as_annotations_says_how_to_read_it(tmp_path):
    path = write_label_studio_predictions(tmp_path / "pre.json", ["Off to Rome"], [[]], "v1")
    with pytest.raises(AnnotationFormatError, match=r"source=\"predictions\""):
        read_with_warnings(read_label_studio, path)


def test_a_span_outside_its_text_names_the_task(tmp_path):
    path = write(tmp_path, "outside.json", [task("Rome", (0, 4, "location"), task_id=9)])
    record = json.loads(path.read_text())
    record[0]["annotations"][0]["result"][0]["value"].update(start=10, end=14, text=None)
    path.write_text(json.dumps(record))
    with pytest.raises(AnnotationFormatError) as error:
        read_label_studio(path)
    assert (error.value.file, error.value.record, error.value.line) == (str(path), "9", None)


def test_a_text_classification_export_is_recognised(tmp_path):
    path = write(tmp_path, "classes.jsonl", [{"id": 3, "text": "great", "label": ["positive"]}])
    with pytest.raises(AnnotationFormatError, match="text-classification") as error:
        read_doccano(path)
    assert (error.value.line, error.value.record) == (1, "3")


def test_a_doccano_list_given_as_json_points_to_jsonl(tmp_path):
    path = write(tmp_path, "doccano.json", [{"text": "Off to Rome", "label": [[7, 11, "location"]]}])
    with pytest.raises(AnnotationFormatError, match=r"\.jsonl") as error:
        read_label_studio(path)
    assert (error.value.record, error.value.keys_found) == ("#1", ["label", "text"])


def test_a_task_with_several_text_fields_and_none_named_or_pointed_at_is_an_error(tmp_path):
    path = write(tmp_path, "fields.json", [{"id": 4, "data": {"title": "Rome", "body": "Off to Rome"}, "annotations": []}])
    with pytest.raises(AnnotationFormatError) as error:
        read_label_studio(path)
    assert (error.value.record, error.value.keys_found) == ("4", ["body", "title"])
    one_field = write(tmp_path, "one.json", [{"id": 5, "data": {"tweet": "Off to Rome"}, "annotations": [{"result": []}]}])
    assert read_label_studio(one_field) == [AnnotatedSentence("5", ["Off", "to", "Rome"], ["O", "O", "O"])]


def test_a_missing_file_and_an_unknown_suffix_are_errors(tmp_path):
    with pytest.raises(AnnotationFormatError, match="file not found") as error:
        read_label_studio(tmp_path / "nothing.json")
    assert error.value.file == str(tmp_path / "nothing.json")
    with pytest.raises(AnnotationFormatError, match=r"\.jsonl") as error:
        read_annotation_file(write(tmp_path, "spans.txt", "x"))
    assert error.value.file == str(tmp_path / "spans.txt")


def test_a_tag_outside_the_label_set_names_the_document():
    with pytest.raises(AnnotationFormatError, match=r"\['B-corporation', 'I-corporation'\]") as error:
        read_with_warnings(read_annotation_file, DOCCANO, label_names=["O", "B-location", "I-location", "B-person", "I-person",
                                                                        "B-creative-work", "I-creative-work"])
    assert (error.value.file, error.value.record) == (str(DOCCANO), "15")


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


def test_doccano_records_have_the_import_format_with_utf16_offsets():
    assert to_doccano(TEXTS, ENTITIES) == [
        {"text": TEXTS[0], "label": [[15, 23, "location"], [29, 37, "person"]]},
        {"text": "nothing to see", "label": []},
        {"text": TEXTS[2], "label": [[3, 8, "location"], [19, 23, "location"]]},  # 😀 counts 2, as in doccano's editor
    ]
    assert to_doccano(TEXTS[2:], ENTITIES[2:], offsets="code-points") == [
        {"text": TEXTS[2], "label": [[2, 7, "location"], [18, 22, "location"]], "offsets": "code-points"}
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
    sentences, _ = read_with_warnings(read_doccano, path)
    assert [spans_from_tags(t, s.tags) for t, s in zip(TEXTS, sentences)] == [
        [(e["start"], e["end"], e["type"]) for e in found] for found in ENTITIES
    ]
    report = report_of(path)
    assert (report.widened, report.unlabelled, report.converted) == ([], ["line 2"], ["line 3", "line 3"])
    for offsets in ("code-points", "graphemes"):  # written in another unit, the file says so and reads back the same
        other = write_doccano(tmp_path / f"{offsets}.jsonl", TEXTS, ENTITIES, offsets=offsets)
        assert [s.tags for s in read_with_warnings(read_doccano, other)[0]] == [s.tags for s in sentences]


def test_the_issues_examples_written_for_doccano_land_on_the_same_words_read_back(tmp_path):
    texts = ["😂😂😂 NYC is lit", "🎶🎶 Taylor Swift at Wembley Stadium with Ed Sheeran tonight"]
    surfaces = [[("NYC", "location")], [("Taylor Swift", "person"), ("Wembley Stadium", "location"), ("Ed Sheeran", "person")]]
    entities = [[{"type": kind, "text": word, "start": text.index(word), "end": text.index(word) + len(word)} for word, kind in found]
                for text, found in zip(texts, surfaces)]
    path = write_doccano(tmp_path / "pre.jsonl", texts, entities)
    written = [json.loads(line)["label"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert written == [[[7, 10, "location"]], [[5, 17, "person"], [21, 36, "location"], [42, 52, "person"]]]
    nyc, taylor = tags_of(path)
    assert nyc[3] == ("NYC", "B-location")
    assert taylor[2:5] == [("Taylor", "B-person"), ("Swift", "I-person"), ("at", "O")]


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
