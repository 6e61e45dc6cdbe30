"""A dataset the project has never seen, as a new user brings it: no Python of theirs beyond this.

A marketing campaign's calls over two years, exported `;`-separated with quoted text (as a
European spreadsheet does): a date column, a column that leaks the label (`duration`: a call
that went on long ended in a sale, known only afterwards), and a yes-rate that drifts from
2008 to 2009 along with the customers' balance, the number of contacts and the jobs reached.

`write_own_data` writes that file and the one config file both engines run it from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CONFIG = """\
# Everything the example pipelines need for this dataset, for Airflow and Prefect alike.
source: calls.csv
target: y
time_column: date
drop: [duration]                # a leak: only known once the call is over
model_name: campaign
estimator: sklearn.linear_model.LogisticRegression
params: {max_iter: 1000}
windows:
  training: {period: "2008"}
  reference: {period: "2008"}
  current: {period: "2009"}
split: {cutoffs: ["2008-08-01", "2008-10-01"]}
gate:
  thresholds: [{metric: roc_auc, threshold: 0.7}]
  bootstrap: 100
"""


def calls(rows_per_year: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for year, shift in ((2008, 0.0), (2009, 1.0)):
        n = rows_per_year
        balance = rng.normal(1000 + 400 * shift, 400, n).round(2)
        campaign = rng.poisson(2 + 3 * shift, n) + 1
        job = rng.choice(["admin.", "blue-collar", "technician", "retired"], n,
                         p=[0.4, 0.3, 0.2, 0.1] if not shift else [0.15, 0.15, 0.3, 0.4])  # fmt: skip
        logit = -2.6 + 2.2 * (balance - 1000) / 400 + 0.8 * (job == "retired")
        y = rng.random(n) < 1 / (1 + np.exp(-logit))
        days = pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
        parts.append(pd.DataFrame({
            "age": rng.integers(20, 70, n), "job": job, "balance": balance, "campaign": campaign,
            "date": days.strftime("%Y-%m-%d"), "duration": np.where(y, 500, 100) + rng.integers(0, 60, n),
            "y": np.where(y, "yes", "no"),
        }))  # fmt: skip
    return pd.concat(parts).sort_values("date", kind="stable").reset_index(drop=True)


def write_own_data(directory: Path) -> Path:
    """The `;`-separated CSV and its config file in `directory`; returns the config's path."""
    directory.mkdir(parents=True, exist_ok=True)
    calls().to_csv(directory / "calls.csv", sep=";", index=False, quoting=2)  # QUOTE_NONNUMERIC
    config = directory / "campaign.yaml"
    config.write_text(CONFIG)
    return config
