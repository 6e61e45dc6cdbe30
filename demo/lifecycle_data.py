"""The demo's data: the bike-sharing days of 2011 to train on, 2012 as it was (``current``) and
with drift (``drifted``) as the later window that monitoring sees, and 2011 followed by the
drifted 2012 as the newest data a retraining trains on.

The drift keeps to the data contract (`dags/contracts/bike_sharing.yaml`: weather in [0, 1],
known weather codes), so the retraining it triggers passes `validate`: drift is a change in the
world, not broken data. The monitoring-loop tests of both engines use these files too.
"""

from __future__ import annotations

from pathlib import Path


def write(bike_csv: Path, directory: Path) -> dict[str, Path]:
    """``train``, ``current``, ``drifted`` and ``newest`` CSVs in ``directory``; paths by name."""
    import pandas as pd

    day = pd.read_csv(bike_csv)
    train, later = day[day["yr"] == 0], day[day["yr"] == 1]
    # A hotter, drier, windier, cloudier year of holidays.
    drifted = later.assign(
        temp=0.5 + later["temp"] / 2,
        atemp=0.5 + later["atemp"] / 2,
        hum=later["hum"] / 2,
        windspeed=0.5 + later["windspeed"] / 2,
        weathersit=3,
        holiday=1,
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in (
        ("train", train),
        ("current", later),
        ("drifted", drifted),
        ("newest", pd.concat([train, drifted])),
    ):
        paths[name] = directory / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths
