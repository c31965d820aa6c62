"""Exceptions with messages written for the person running chainaudit.

Every error a user can cause (bad data, a model we refuse to load, a missing resource) is a subclass of
`ChainauditError`; the CLI prints its message without a traceback and exits non-zero.
"""


class ChainauditError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class DataError(ChainauditError):
    """A dataset file or spec is unusable (names the file and row)."""


class UnsafeModelError(ChainauditError):
    """A model was refused by the safe-loading rules (pickle weights, remote code)."""


class LabelAlignmentError(ChainauditError):
    """A model's labels cannot be mapped onto the dataset's labels."""


class ModelLoadError(ChainauditError):
    """A model could not be found or loaded."""


class ResourceMissingError(ChainauditError):
    """An optional resource (WordNet, weights, vectors) is absent; the message names how to get it."""


class ResourceChecksumError(ChainauditError):
    """A resource file exists but its sha256 is not the one expected (corrupt or a different file)."""


class WordVectorsFormatError(ChainauditError):
    """A word-vector file cannot be parsed (names the file and line)."""


class StoreError(ChainauditError):
    """The results database cannot be opened or migrated."""


class HubError(ChainauditError):
    """The Hub could not be crawled (offline mode, or retries exhausted)."""


class LLMError(ChainauditError):
    """The LLM endpoint is misconfigured or unreachable."""


class StudyConfigError(ChainauditError):
    """A study config file is missing, not YAML, or not a valid study."""
