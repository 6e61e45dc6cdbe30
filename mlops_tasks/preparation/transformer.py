"""The preprocessing pipeline: build, fit, save with skops, and load only what the stores vouch for.

Numeric columns are imputed (median) and standardised; categorical ones imputed (a constant
``"__missing__"`` category) and one-hot encoded, ignoring categories unseen in training. The
fitted `ColumnTransformer` is saved with `skops.io` (no pickle), so training and serving apply
exactly the same transform.

Loading is the dangerous half: a skops file names the types it rebuilds. `load_transformer`
only opens a transformer a succeeded ``prepare`` run produced (`mlops_tasks.models.provenance`;
a ref in a config vouches for nothing), reads it through the artifact store (which checks its
sha256), and trusts the types it names only if each is on the models' exact allowlist
(`mlops_tasks.models.serialization.trusted_types`); anything else is an `UntrustedArtifactError`.

>>> import pandas as pd
>>> frame = pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", None]})
>>> numeric, categorical = infer_columns(frame)
>>> build_transformer(numeric, categorical).fit(frame).get_feature_names_out().tolist()
['num__x', 'cat__c___missing__', 'cat__c_a', 'cat__c_b']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlops_tasks.errors import DataError, UntrustedArtifactError

if TYPE_CHECKING:
    from mlops_tasks.artifacts import ArtifactRef
    from mlops_tasks.context import TaskContext

MEDIA_TYPE = "application/x-skops"
MISSING = "__missing__"
PRODUCED_BY = frozenset({("prepare", "transformer")})


def infer_columns(
    frame: Any, exclude: list[str] | tuple[str, ...] = ()
) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns of a frame (booleans count as categorical)."""
    import pandas as pd

    numeric, categorical = [], []
    for name in frame.columns:
        dtype = frame[name].dtype
        if (
            name in exclude
            or pd.api.types.is_datetime64_any_dtype(dtype)
            or isinstance(dtype, pd.PeriodDtype)
        ):
            continue
        if pd.api.types.is_bool_dtype(dtype):
            categorical.append(name)
        elif pd.api.types.is_numeric_dtype(dtype):
            numeric.append(name)
        elif (
            pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
            or dtype == object  # noqa: E721 (a numpy/pandas dtype, not a type)
        ):
            categorical.append(name)
    return numeric, categorical


def build_transformer(numeric: list[str], categorical: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if not numeric and not categorical:
        raise DataError(
            "prepare: no feature columns to fit a transformer on (give numeric_columns or categorical_columns)"
        )
    parts = []
    if numeric:
        parts.append(
            (
                "num",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            )
        )
    if categorical:
        parts.append(
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING)),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            )
        )
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=True)


def save_transformer(ctx: TaskContext, transformer: Any, metadata: dict[str, Any]) -> ArtifactRef:
    import skops.io as sio

    with ctx.artifacts.new_file(".skops") as path:
        sio.dump(transformer, path)
        return ctx.artifacts.put_file(
            path, kind="transformer", media_type=MEDIA_TYPE, metadata=metadata
        )


def load_transformer(ctx: TaskContext, ref: ArtifactRef) -> Any:
    """The fitted transformer of `ref`, once a prepare run is known to have made it and its types are allowed."""
    import skops.io as sio

    from mlops_tasks.models.provenance import produced_by_us
    from mlops_tasks.models.serialization import untrusted_types

    if not produced_by_us(ctx.metadata, ref.sha256, PRODUCED_BY):
        raise UntrustedArtifactError(
            f"refusing to load {ref.uri}: no succeeded prepare run of this store produced a "
            f"transformer with sha256 {ref.sha256[:12]}..."
        )
    path = ctx.artifacts.local_path(ref)  # verifies the sha256 of the bytes we are about to read
    refused = untrusted_types(path, vouched=True)
    if refused:
        raise UntrustedArtifactError(
            f"refusing to load {ref.uri}: it asks for types outside the allowlist: {', '.join(refused)}"
        )
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))
