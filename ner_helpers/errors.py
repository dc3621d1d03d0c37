"""Errors a user can cause, each with a message that says what to do."""
from __future__ import annotations

from typing import Sequence


class ConllFormatError(ValueError):
    """A CoNLL file that cannot be read: the message names the file and line.

    The facts are attributes too, for code and tests: `file`, `line` (None when the whole file is at fault),
    `tag` (the tag refused, when the tag is the problem), `columns` (the columns found on a line that breaks
    the layout), `label_names` (the label set a tag was checked against).
    """

    def __init__(
        self,
        message: str,
        *,
        file: object = None,
        line: int | None = None,
        tag: str | None = None,
        columns: int | None = None,
        label_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.file = None if file is None else str(file)
        self.line = line
        self.tag = tag
        self.columns = columns
        self.label_names = None if label_names is None else list(label_names)


class HubUnreachableError(RuntimeError):
    """The Hugging Face Hub could not be reached: the message names the offline route."""


class MissingArtifactError(FileNotFoundError):
    """An earlier notebook's output is missing: the message names the notebook to run.

    `notebook` (the notebook that writes it, e.g. "01_load_data.ipynb") and `path` (the file or folder
    looked for) are attributes too, for code and tests.
    """

    def __init__(self, message: str, *, notebook: str | None = None, path: object = None) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.path = None if path is None else str(path)


class ChecksumMismatchError(RuntimeError):
    """A downloaded file differs from the known one: the message names the file and the way out.

    `url`, `expected` and `found` (the SHA-256 digests) are attributes too, for code and tests.
    """

    def __init__(self, message: str, *, url: str | None = None, expected: str | None = None,
                 found: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.expected = expected
        self.found = found


class ParameterError(ValueError):
    """Notebook parameters that cannot be used (an unknown name, a wrong type, an impossible value, a checkpoint
    other than the one the data was tokenized for): the message names each and what it accepts; `parameters`
    lists the names refused, for tools and tests."""

    def __init__(self, message: str, parameters: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.parameters = list(parameters)


class AnnotationFormatError(ValueError):
    """A Label Studio or doccano export that cannot be read: the message names the file (and task or line) and what to do.

    The facts are attributes too, for code and tests: `file`, `line` (doccano: the line of the record),
    `record` (the task or document id), `keys_found` (the keys of the records, when they hold no span),
    `members` (the files inside a .zip given instead of its export).
    """

    def __init__(
        self,
        message: str,
        *,
        file: object = None,
        line: int | None = None,
        record: str | None = None,
        keys_found: Sequence[str] | None = None,
        members: Sequence[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.file = None if file is None else str(file)
        self.line = line
        self.record = record
        self.keys_found = None if keys_found is None else list(keys_found)
        self.members = None if members is None else list(members)
