"""Errors a user can cause, each with a message that says what to do."""


class ConllFormatError(ValueError):
    """A CoNLL file that cannot be read: the message names the file and line."""


class HubUnreachableError(RuntimeError):
    """The Hugging Face Hub could not be reached: the message names the offline route."""


class MissingArtifactError(FileNotFoundError):
    """An earlier notebook's output is missing: the message names the notebook to run."""


class ChecksumMismatchError(RuntimeError):
    """A downloaded file differs from the known one: the message names the file and the way out."""


class ParameterError(ValueError):
    """A notebook parameter of the wrong type or with an impossible value: the message names it and what it accepts."""


class AnnotationFormatError(ValueError):
    """A Label Studio or doccano export that cannot be read: the message names the file (and task or line) and what to do."""
