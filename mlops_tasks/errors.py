"""Typed errors. Each message names what was wrong and where, so a failed run explains itself."""

from __future__ import annotations


class MlopsTasksError(Exception):
    """Base class of every error this package raises on purpose.

    ``retryable`` tells schedulers whether another try could succeed: a network blip could
    pass, an invalid config or bad data cannot, so those fail without using the retries.
    """

    retryable = True


class UnknownTaskError(MlopsTasksError, KeyError):
    retryable = False

    def __init__(self, name: str, known: list[str]):
        self.name, self.known = name, known
        super().__init__(
            f"unknown task {name!r}; registered tasks: {', '.join(sorted(known)) or 'none'}"
        )

    __str__ = Exception.__str__


class ConfigError(MlopsTasksError, ValueError):
    """A task's config did not validate: wrong type, missing field or unknown key."""

    retryable = False

    def __init__(self, task: str, problems: list[str]):
        self.task, self.problems = task, problems
        super().__init__(f"invalid config for task {task!r}: " + "; ".join(problems))


class SourceNotFoundError(MlopsTasksError, FileNotFoundError):
    """An input file, glob or table does not exist."""


class SourceUnreachableError(MlopsTasksError, ConnectionError):
    """A database or object store could not be reached."""


class DataError(MlopsTasksError, ValueError):
    """The data itself is unusable: unparsable file, empty dataset, unsupported type."""

    retryable = False


class ArtifactNotFoundError(MlopsTasksError, FileNotFoundError):
    """An artifact reference points to nothing in the store."""


class ArtifactIntegrityError(MlopsTasksError):
    """An artifact's bytes no longer match the sha256 recorded for it."""

    retryable = False

    def __init__(self, uri: str, expected: str, actual: str):
        self.uri, self.expected, self.actual = uri, expected, actual
        super().__init__(
            f"artifact {uri} is corrupt: sha256 is {actual[:12]}..., expected {expected[:12]}..."
        )


class MetadataStoreError(MlopsTasksError):
    """The metadata and lineage store could not be opened, migrated or written."""


class CheckFailedError(MlopsTasksError):
    """A check ran and its verdict is "fail" (validation rules, a model gate ...).

    ``result`` is the task's full result (with its report artifact), recorded with the failed
    execution so nothing the check found is lost.
    """

    retryable = False

    def __init__(self, message: str, result: object = None):
        super().__init__(message)
        self.result = result


class UntrustedArtifactError(MlopsTasksError):
    """A file our stores did not make would run code when loaded, or names types off the allowlist."""

    retryable = False


class ArtifactOutsideStoreError(MlopsTasksError, ValueError):
    """An artifact reference points outside the configured artifact root."""

    retryable = False

    def __init__(self, uri: str, root: str, field: str | None = None):
        self.uri, self.root, self.field = uri, root, field
        super().__init__(
            (f"{field}: " if field else "")
            + f"artifact {uri} is outside the artifact store {root}: artifacts are read only "
            "from the store; give an outside file as a source (extract, import_model)"
        )
