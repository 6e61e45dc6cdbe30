"""Errors of the validation package."""

from __future__ import annotations

from mlops_tasks.errors import MlopsTasksError


class SchemaError(MlopsTasksError, ValueError):
    """A schema file or rule list is malformed: unknown rule or key, wrong value, bad YAML.

    The message names where (``columns.age``) and what, with a suggestion for a misspelling.
    """

    retryable = False
