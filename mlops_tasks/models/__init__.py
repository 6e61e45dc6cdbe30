"""Models: signatures, safe serialisation, metrics, the gate's logic, the model registry and serving.

Modules here import scikit-learn, pandas and SQLAlchemy freely; the task modules in
`mlops_tasks.tasks` import them only inside functions, so parsing a DAG stays cheap.

* `signature` -- the columns and dtypes a model takes, checked before every prediction.
* `serialization` -- skops by default, with an allowlist; joblib/pickle only for known hashes.
* `metrics` -- classification and regression metrics with vectorised bootstrap intervals.
* `gate` -- thresholds, paired tests and slice guards: promote or reject, with reasons.
* `registry` -- models, versions, aliases, tags and an audit log in the metadata store.
* `serving` -- the FastAPI app behind ``mlops-tasks serve``.
"""
