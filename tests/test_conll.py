"""The CoNLL reader (ner_helpers/conll.py): files as editors and other tools leave them (no final newline, CRLF,
trailing spaces), the layouts and tag schemes people have, labels given or discovered, malformed input named by
file and line, and the real WNUT 17 training file rewritten in other layouts and schemes (marker real_data: runs
when WNUT17_DIR names a folder of the WNUT 17 files, else skips)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ner_helpers.conll import discover_labels, load_conll, read_conll
from ner_helpers.data import WNUT17_LABELS, load_data
from ner_helpers.errors import ConllFormatError

TESTS_DIR = Path(__file__).parent
FORMATS = TESTS_DIR / "data" / "formats"

TWO_SENTENCES = [(["Ann", "sang"], ["B-person", "O"]), (["in", "Paris"], ["O", "B-location"])]


@pytest.mark.parametrize(
    "content",
    [
        "Ann\tB-person\nsang\tO\n\nin\tO\nParis\tB-location\n",  # the usual ending
        "Ann\tB-person\nsang\tO\n\nin\tO\nParis\tB-location",  # no final newline
        "Ann\tB-person\r\nsang\tO\r\n\r\nin\tO\r\nParis\tB-location\r\n",  # CRLF
        "Ann\tB-person\r\nsang\tO\r\n\r\nin\tO\r\nParis\tB-location",  # CRLF, no final newline
        "Ann\tB-person  \nsang\tO \n \nin\tO  \nParis\tB-location   \n\n",  # trailing spaces
        "Ann\tB-person \r\nsang\tO\r\n  \r\nin\tO \r\nParis\tB-location \r\n \r\n",  # both
        "\ufeffAnn\tB-person\nsang\tO\n\n\n\nin\tO\nParis\tB-location\n\n\n",  # BOM, repeated blank lines
    ],
    ids=["plain", "no-final-newline", "crlf", "crlf-no-final-newline", "trailing-spaces", "crlf-trailing-spaces", "bom"],
)
def test_every_ending_gives_the_same_two_sentences(content, write_conll):
    sentences, report = read_conll(write_conll(content))
    assert sentences == TWO_SENTENCES
    assert (report.sentences, report.tokens, report.repaired_orphan_i) == (2, 4, [])


def test_one_sentence_without_final_newline_is_kept(write_conll):
    sentences, report = read_conll(write_conll("Paris\tB-location"))
    assert sentences == [(["Paris"], ["B-location"])]
    assert (report.sentences, report.tokens) == (1, 1)


def test_last_sentence_without_final_newline_reaches_the_data_set(write_conll):
    path = write_conll("Ann\tB-person\n\nin\tO\nParis\tB-location")
    dataset = load_conll({"train": path}, label_names=WNUT17_LABELS)
    assert dataset["train"]["tokens"] == [["Ann"], ["in", "Paris"]]
    assert dataset["train"]["ner_tags"] == [[9], [0, 7]]  # ids in WNUT 17's order: B-person 9, B-location 7
    assert dataset["train"]["id"] == ["0", "1"]


def test_tag_with_trailing_space_is_checked_against_the_label_set(write_conll):
    # "B-location " read as a new label would fail the label set check (or add a label of its own).
    path = write_conll("Paris\tB-location \nis\tO \n")
    assert load_conll({"train": path}, label_names=WNUT17_LABELS)["train"]["ner_tags"] == [[7, 0]]
    discovered = load_conll({"train": path})["train"].features["ner_tags"].feature.names
    assert discovered == ["O", "B-location", "I-location"]


def test_crlf_line_numbers_in_errors_are_the_editor_line_numbers(write_conll):
    from ner_helpers.errors import ConllFormatError

    with pytest.raises(ConllFormatError) as error:
        read_conll(write_conll("a\tO\r\n\r\nb\tO\r\nc O\r\n"))
    assert (error.value.line, error.value.columns) == (4, 1)


def test_orphan_i_after_a_sentence_break_is_repaired(write_conll):
    # The I- opens a new sentence: there is nothing before it to continue, even of the same type.
    with pytest.warns(UserWarning, match="lines 3"):
        sentences, report = read_conll(write_conll("Ann\tB-person\n\nBob\tI-person\nCy\tI-person\n"))
    assert sentences == [(["Ann"], ["B-person"]), (["Bob", "Cy"], ["B-person", "I-person"])]
    assert report.repaired_orphan_i == [3]


def test_i_of_the_same_type_after_i_is_a_continuation(write_conll):
    sentences, report = read_conll(write_conll("New\tB-location\nYork\tI-location\nCity\tI-location\n"))
    assert sentences == [(["New", "York", "City"], ["B-location", "I-location", "I-location"])]
    assert report.repaired_orphan_i == []


def test_discovered_labels_put_o_first_then_types_sorted_b_before_i():
    assert discover_labels(["I-zeta", "O", "B-alpha", "B-zeta"]) == ["O", "B-alpha", "I-alpha", "B-zeta", "I-zeta"]


def test_bring_your_own_data_discovers_labels(write_conll):
    path = write_conll("Ada\tB-PER\nLovelace\tI-PER\nwrote\tO\n\nin\tO\nLondon\tB-LOC\n")
    dataset = load_conll({"train": path})
    assert dataset["train"].features["ner_tags"].feature.names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert dataset["train"][0]["tokens"] == ["Ada", "Lovelace", "wrote"]


def test_a_tab_only_line_separates_sentences_as_in_wnut17_train(write_conll):
    path = write_conll("a\tO\nb\tO\n\t\nc\tB-person\n")
    sentences, report = read_conll(path)
    assert sentences == [(["a", "b"], ["O", "O"]), (["c"], ["B-person"])]
    assert (report.sentences, report.tokens) == (2, 3)


def test_windows_line_endings_and_repeated_blank_lines_are_accepted(write_conll):
    path = write_conll("\r\n\r\na\tO\r\nb\tB-group\r\n\r\n\r\n\r\nc\tO\r\n\r\n\r\n")
    sentences, _ = read_conll(path)
    assert sentences == [(["a", "b"], ["O", "B-group"]), (["c"], ["O"])]


@pytest.mark.parametrize("content, line, tag, columns", [
    ("a\tO\nb O\n", 2, None, 1),  # a tab file: a space-separated line breaks it
    ("a\tO\n\nb\tO\tX\n", 3, None, 3),
    ("a\tO\nb\t\n", 2, "", None),
    ("a\tO\nb\tPERSON\n", 2, "PERSON", None),
    ("a\tO\n\tB-PER\n", 2, "B-PER", None),
    ("a O\nb\n", 2, None, 1),
    ("lonely\n", 1, None, 1),
], ids=["space-line-in-tab-file", "three-columns", "empty-tag", "tag-not-bio", "empty-token-with-entity-tag",
        "one-column", "one-column-first-line"])
def test_malformed_line_names_file_and_line(write_conll, content, line, tag, columns):
    path = write_conll(content)
    with pytest.raises(ConllFormatError) as error:
        read_conll(path)
    assert (error.value.file, error.value.line, error.value.tag, error.value.columns) == (str(path), line, tag, columns)
    assert f"{path}, line {line}" in str(error.value)  # the user reads where to look


def test_unknown_label_names_file_line_and_label_set(write_conll):
    path = write_conll("a\tO\n\nb\tB-animal\n")
    with pytest.raises(ConllFormatError) as error:
        load_conll({"train": path}, label_names=WNUT17_LABELS)
    assert (error.value.file, error.value.line, error.value.tag) == (str(path), 3, "B-animal")
    assert error.value.label_names == WNUT17_LABELS


def test_orphan_i_tag_is_repaired_to_b_with_a_warning(write_conll):
    path = write_conll("a\tO\nb\tI-person\nc\tI-person\nd\tB-group\ne\tI-location\n")
    with pytest.warns(UserWarning, match="lines 2, 5"):
        sentences, report = read_conll(path)
    assert sentences[0][1] == ["O", "B-person", "I-person", "B-group", "B-location"]
    assert report.repaired_orphan_i == [2, 5]


def test_empty_file_is_an_error(write_conll):
    path = write_conll("\n\n")
    with pytest.raises(ConllFormatError) as error:
        read_conll(path)
    assert (error.value.file, error.value.line) == (str(path), None)


# --- Errors name the file, the line and the fix; warnings point at the caller's line.

def read(path):
    from ner_helpers.conll import read_conll

    return read_conll(path)


def conll_error(path, **options) -> str:
    from ner_helpers.conll import read_conll
    from ner_helpers.errors import ConllFormatError

    with pytest.raises(ConllFormatError) as error:
        read_conll(path, **options)
    return str(error.value)


def test_reader_errors_name_the_file_the_line_and_the_fix(write_conll, tmp_path):
    assert conll_error(tmp_path / "none.conll") == f"{tmp_path / 'none.conll'}: file not found."
    path = write_conll(b"ok\tO\n\xff\xfe\xfd\xfc\xfb\tO\n")
    assert conll_error(path) == (
        f"{path}, line 2: bytes that are not UTF-8 (b'\\xff\\xfe\\xfd\\xfc'). Save the file as UTF-8 and try again."
    )
    path = write_conll("Paris\tB-LOC\n\tI-LOC\n")
    assert conll_error(path) == (
        f"{path}, line 2: empty token with the entity tag 'I-LOC' in '\\tI-LOC'. "
        "Write the entity's word in the first column, or remove the line."
    )
    path = write_conll("Paris\tB-LOC\n")
    assert conll_error(path, label_names=["O", "B-PER", "I-PER"]) == (
        f"{path}, line 1: tag 'B-LOC' is not in the label set ['O', 'B-PER', 'I-PER']. "
        "Fix the tag, or load with label_names=None to discover the labels from the data."
    )


@pytest.mark.parametrize("tag", ["PERSON", "B-", "Q-PER", "X-PER", "BPER"])
def test_tags_that_are_no_scheme_are_refused(write_conll, tag):
    path = write_conll(f"Paris\t{tag}\n")
    assert conll_error(path) == (
        f"{path}, line 1: tag {tag!r} is not BIO (expected O, B-<type> or I-<type>; "
        "IOB1, BIOES and BILOU tags are converted too)."
    )


def test_one_letter_types_are_types(write_conll):
    sentences, report = read(write_conll("Paris\tB-X\nis\tO\n"))
    assert sentences == [(["Paris", "is"], ["B-X", "O"])] and report.path.endswith("data.conll")


def test_reader_warnings_point_at_the_callers_line(write_conll, warning_caller):
    import ner_helpers.conll

    path = write_conll("Paris\tI-LOC\n\n\tO\nok\tB-PER\n")  # an orphan I- (in a BIO file) and an empty token
    with pytest.warns(UserWarning) as record:
        ner_helpers.conll.read_conll(path)  # called here, not through a helper of this file: one frame up is pytest's
    caller = warning_caller(ner_helpers.conll, __file__)
    assert len(record) == 2 and all(w.filename.endswith(caller) for w in record)


# --- Layouts and tag schemes: CoNLL-2003's columns, IOB1, BIOES, BILOU; what was converted is reported.

@pytest.mark.parametrize(
    "name, scheme, converted",
    [
        ("conll2003_bio.txt", "BIO", 0),  # 4 space-separated columns with -DOCSTART- lines
        ("iob1.tsv", "IOB1", 5),  # I- starts an entity; B- only between two touching LOCs
        ("bioes.tsv", "BIOES", 6),
        ("bilou.tsv", "BILOU", 6),
    ],
)
def test_each_layout_and_scheme_loads_to_the_same_bio_sentences_as_its_tab_twin(name, scheme, converted):
    expected, _ = read_conll(FORMATS / "bio.tsv")
    sentences, report = read_conll(FORMATS / name)
    assert sentences == expected
    assert (report.scheme, report.converted) == (scheme, converted)
    assert f"tags {scheme}" in report.summary()


def test_conll2003_layout_skips_docstart_lines_and_reads_token_first_tag_last():
    sentences, report = read_conll(FORMATS / "conll2003_bio.txt")
    assert report.docstarts == 2 and report.columns == 4 and report.separator == "space"
    assert sentences[0] == (["EU", "rejects", "German", "call", "."], ["B-ORG", "O", "B-MISC", "O", "O"])
    assert "2 -DOCSTART- line(s) skipped" in report.summary()


def test_iob1_keeps_two_touching_entities_of_one_type_apart():
    sentences, _ = read_conll(FORMATS / "iob1.tsv")
    tokens, tags = sentences[2]
    assert tags[:2] == ["B-LOC", "B-LOC"]  # Japan | Korea: two entities, as IOB1's B- says


def test_bio_file_with_a_stray_i_tag_is_repaired_with_a_warning_not_read_as_iob1(write_conll):
    path = write_conll("a\tB-PER\nb\tO\nc\tI-LOC\n")
    with pytest.warns(UserWarning, match="lines 3"):
        sentences, report = read_conll(path)
    assert report.repaired_orphan_i == [3]
    assert report.scheme == "BIO" and sentences[0][1] == ["B-PER", "O", "B-LOC"]


def test_a_token_with_spaces_is_kept_in_a_tab_separated_file(write_conll):
    sentences, _ = read_conll(write_conll("New York\tB-LOC\nis\tO\n"))
    assert sentences == [(["New York", "is"], ["B-LOC", "O"])]


def test_empty_token_lines_tagged_o_are_dropped_with_count_and_line_numbers(write_conll):
    path = write_conll("a\tO\n\tO\nb\tB-PER\n\n\tO\nc\tO\n")
    with pytest.warns(UserWarning, match="lines 2, 5"):
        sentences, report = read_conll(path)
    assert sentences == [(["a", "b"], ["O", "B-PER"]), (["c"], ["O"])]
    assert report.dropped_empty_tokens == [2, 5]


@pytest.mark.parametrize("content, scheme", [
    ("Paris\tS-LOC\nis\tO\n", "BIOES"),  # single-word entities only: no E-
    ("New\tB-LOC\nYork\tE-LOC\n", "BIOES"),  # no S-
    ("Paris\tU-LOC\nis\tO\n", "BILOU"),
    ("New\tB-LOC\nYork\tL-LOC\n", "BILOU"),
])
def test_either_mark_of_a_scheme_names_it(write_conll, content, scheme):
    from ner_helpers.conll import read_conll

    sentences, report = read_conll(write_conll(content))
    assert report.scheme == scheme and sentences[0][1][0] == "B-LOC"


def test_line_numbers_show_the_first_five_and_mark_more():
    from ner_helpers.conll import _line_numbers

    assert _line_numbers([3, 9, 12, 20, 31]) == "3, 9, 12, 20, 31"
    assert _line_numbers([3, 9, 12, 20, 31, 40]) == "3, 9, 12, 20, 31 ..."


def test_report_summary_names_each_repair_and_conversion_with_its_count():
    from ner_helpers.conll import ConllReport

    clean = ConllReport("a.tsv", sentences=3, tokens=12, columns=2, separator="tab")
    assert clean.summary() == "a.tsv: 3 sentences, 12 tokens (2 tab-separated columns, tags BIO)"
    repaired = ConllReport("b.txt", sentences=2, tokens=9, columns=4, separator="space", docstarts=1,
                           repaired_orphan_i=[4, 9], dropped_empty_tokens=[7])
    assert repaired.summary() == (
        "b.txt: 2 sentences, 9 tokens (4 space-separated columns, tags BIO); 1 -DOCSTART- line(s) skipped; "
        "2 I- tag(s) with nothing to continue read as B-; 1 empty-token line(s) dropped"
    )
    bioes = ConllReport("c.tsv", sentences=1, tokens=3, columns=2, scheme="BIOES", converted=2)
    assert bioes.summary() == (
        "c.tsv: 1 sentences, 3 tokens (2 tab-separated columns, tags BIOES); "
        "BIOES read as BIO: 2 tag(s) converted (S-/U- to B-, E-/L- to I-)"
    )


# --- The real WNUT 17 training file rewritten in other layouts and tag schemes reads back to the same BIO sentences.
# conftest.py fails any of these that skips while WNUT17_DIR holds the data (marker real_data).

WNUT17_DIR = os.environ.get("WNUT17_DIR")
needs_wnut17 = pytest.mark.skipif(
    not WNUT17_DIR, reason="set WNUT17_DIR to a folder with the original WNUT 17 CoNLL files to run real-data checks"
)


def to_iob1(tags: list[str]) -> list[str]:
    """BIO to IOB1: an entity starts with I-, unless it directly follows one of the same type."""
    out, previous = [], "O"
    for tag in tags:
        if tag.startswith("B-") and previous[2:] != tag[2:]:
            tag = "I-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


def to_bioes(tags: list[str]) -> list[str]:
    """BIO to BIOES: single-token entities S-, the last token of a longer one E-."""
    out = []
    for i, tag in enumerate(tags):
        continues = i + 1 < len(tags) and tags[i + 1] == "I-" + tag[2:]
        if tag.startswith("B-"):
            tag = tag if continues else "S-" + tag[2:]
        elif tag.startswith("I-"):
            tag = tag if continues else "E-" + tag[2:]
        out.append(tag)
    return out


@pytest.fixture(scope="module")
def original():
    return read_conll(Path(WNUT17_DIR) / "wnut17train.conll")[0]


@pytest.mark.real_data
@needs_wnut17
def test_real_data_in_conll2003_layout_with_iob1_tags_reads_back_the_same(original, tmp_path):
    lines = []
    for i, (tokens, tags) in enumerate(original):
        if i % 100 == 0:
            lines += ["-DOCSTART- -X- -X- O", ""]
        lines += [f"{token} X X {tag}" for token, tag in zip(tokens, to_iob1(tags))] + [""]
    (tmp_path / "train.txt").write_text("\n".join(lines), encoding="utf-8")
    sentences, report = read_conll(tmp_path / "train.txt")
    assert sentences == original
    assert report.scheme == "IOB1" and report.docstarts == 34 and report.columns == 4


@pytest.mark.real_data
@needs_wnut17
def test_real_data_in_bioes_with_empty_token_lines_reads_back_the_same(original, tmp_path):
    lines = []
    for tokens, tags in original:
        lines += [f"{token}\t{tag}" for token, tag in zip(tokens, to_bioes(tags))] + ["\tO", ""]
    (tmp_path / "train.tsv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.warns(UserWarning, match=f"^{re.escape(str(tmp_path / 'train.tsv'))}: {len(original)} "):  # the file and the count
        dataset = load_data(data_files={"train": tmp_path / "train.tsv"}, verbose=False)
    names = dataset["train"].features["ner_tags"].feature.names
    assert sorted(names) == sorted(WNUT17_LABELS)
    both = list(dataset["train"]) + list(dataset["validation"])
    assert sorted((tuple(e["tokens"]), tuple(names[t] for t in e["ner_tags"])) for e in both) == sorted(
        (tuple(tokens), tuple(tags)) for tokens, tags in original
    )


def test_an_annotation_export_is_checked_against_the_label_set_as_a_conll_file_is():
    """`load_conll` hands `label_names` to the annotation reader too: a tag outside them stops with the document."""
    from ner_helpers.errors import AnnotationFormatError

    export = TESTS_DIR / "data" / "annotations" / "doccano_export.jsonl"
    with pytest.raises(AnnotationFormatError, match=re.escape(str(['B-corporation', 'I-corporation']))):  # the tags refused
        load_conll({"train": export}, label_names=["O", "B-location", "I-location", "B-person", "I-person",
                                                   "B-creative-work", "I-creative-work"])
