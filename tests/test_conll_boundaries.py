"""CoNLL files as editors and other tools leave them: no final newline, CRLF, trailing spaces."""
from __future__ import annotations

import pytest

from ner_helpers.conll import load_conll, read_conll
from ner_helpers.data import WNUT17_LABELS

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

    with pytest.raises(ConllFormatError, match=r"line 4: expected 2 tab-separated columns"):
        read_conll(write_conll("a\tO\r\n\r\nb\tO\r\nc O\r\n"))


def test_orphan_i_after_a_sentence_break_is_repaired(write_conll):
    # The I- opens a new sentence: there is nothing before it to continue, even of the same type.
    with pytest.warns(UserWarning, match=r"1 I- tag\(s\).*lines 3\)"):
        sentences, report = read_conll(write_conll("Ann\tB-person\n\nBob\tI-person\nCy\tI-person\n"))
    assert sentences == [(["Ann"], ["B-person"]), (["Bob", "Cy"], ["B-person", "I-person"])]
    assert report.repaired_orphan_i == [3]


def test_i_of_the_same_type_after_i_is_a_continuation(write_conll):
    sentences, report = read_conll(write_conll("New\tB-location\nYork\tI-location\nCity\tI-location\n"))
    assert sentences == [(["New", "York", "City"], ["B-location", "I-location", "I-location"])]
    assert report.repaired_orphan_i == []
