"""What kind of artifact each input field of a task accepts, checked before anything is read.

A config field holding an `ArtifactRef` is checked against its field's declaration, if it has
one (``Field(json_schema_extra={"artifact": {"kinds": [...], "media_types": [...]}})``, the way
a plugin task declares its inputs), else against the convention for its name below. A wrong
artifact (a Parquet file where a JSON profile is due, a profile given as ``drift``) is then a
`ConfigError` naming the field, instead of a ``UnicodeDecodeError`` or ``KeyError`` later.

>>> from mlops_tasks.artifacts import ArtifactRef
>>> ref = ArtifactRef(uri="memory://a/p.json", sha256="0" * 64, size=2, kind="profile",
...                   media_type="application/json")
>>> print(problem("drift", ref, None))
drift: expected a JSON drift artifact, got a profile (application/json) at memory://a/p.json
>>> problem("profile", ref, None) is None
True
"""

from __future__ import annotations

from typing import Any

from mlops_tasks.artifacts import ArtifactRef

PARQUET = "application/vnd.apache.parquet"
JSON = "application/json"
YAML = "text/yaml"

# field name -> (accepted kinds or None for any, accepted media types or None for any)
CONVENTION: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {
    "dataset": (None, frozenset({PARQUET})),
    "predictions": (None, frozenset({PARQUET})),
    "labels": (None, frozenset({PARQUET})),
    "profile": (frozenset({"profile"}), frozenset({JSON})),
    "reference": (frozenset({"reference"}), frozenset({JSON})),
    "drift": (frozenset({"drift"}), frozenset({JSON})),
    "validation": (frozenset({"validation"}), frozenset({JSON})),
    "model": (frozenset({"model"}), None),
    "preprocessor": (frozenset({"transformer"}), None),
    "incidents": (frozenset({"incidents"}), frozenset({JSON})),
    "topology": (frozenset({"topology"}), frozenset({JSON})),
    "causes": (frozenset({"root_causes"}), frozenset({JSON})),
    "state": (frozenset({"detector_state"}), frozenset({JSON})),
    "contract": (None, frozenset({YAML})),
}
_NAMES = {PARQUET: "Parquet", JSON: "JSON", YAML: "YAML"}


def expectation(field: Any) -> tuple[frozenset[str] | None, frozenset[str] | None] | None:
    """A pydantic field's declared expectation, if any."""
    extra = getattr(field, "json_schema_extra", None)
    declared = extra.get("artifact") if isinstance(extra, dict) else None
    if not declared:
        return None
    kinds, media = declared.get("kinds"), declared.get("media_types")
    return (frozenset(kinds) if kinds else None, frozenset(media) if media else None)


def problem(path: str, ref: ArtifactRef, field: Any) -> str | None:
    """Why `ref` does not fit the config field at `path` (``None`` when it fits)."""
    name = path.split(".", 1)[0].split("[", 1)[0]
    expected = expectation(field) or CONVENTION.get(name)
    if expected is None:
        return None
    kinds, media = expected
    if (kinds is None or ref.kind in kinds) and (media is None or ref.media_type in media):
        return None
    wanted = " or ".join(sorted(kinds)) if kinds else "dataset"
    if media:
        wanted = f"{'/'.join(_NAMES.get(m, m) for m in sorted(media))} {wanted}"
    article = "an" if wanted[0].lower() in "aeiou" else "a"
    return f"{path}: expected {article} {wanted} artifact, got a {ref.kind} ({ref.media_type}) at {ref.uri}"


def check(task: str, model_fields: dict[str, Any], refs: dict[str, ArtifactRef]) -> None:
    """Raise a `ConfigError` naming every input field whose artifact is of the wrong kind."""
    from mlops_tasks.errors import ConfigError

    problems = []
    for path, ref in refs.items():
        found = problem(path, ref, model_fields.get(path.split(".", 1)[0].split("[", 1)[0]))
        if found:
            problems.append(found)
    if problems:
        raise ConfigError(task, problems)
