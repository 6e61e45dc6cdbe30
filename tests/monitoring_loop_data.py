"""Training and current CSVs for the monitoring loop tests of both engines: the bike-sharing
days of 2011 for training, those of 2012 as the current window, and 2012 with injected drift.

The drift keeps to the data contract (`dags/contracts/bike_sharing.yaml`: weather in [0, 1],
known weather codes), so the training pipeline that the loop starts accepts the new data:
drift is a change in the world, not broken data. ``newest`` is what that pipeline trains on
after the drift: 2011 followed by the drifted 2012.
"""

from __future__ import annotations

from pathlib import Path


def write_loop_data(bike_csv: Path, directory: Path) -> dict[str, Path]:
    import pandas as pd

    day = pd.read_csv(bike_csv)
    train, current = day[day["yr"] == 0], day[day["yr"] == 1]
    # Injected drift: a hotter, drier, windier, cloudier year of holidays.
    drifted = current.assign(
        temp=0.5 + current["temp"] / 2,
        atemp=0.5 + current["atemp"] / 2,
        hum=current["hum"] / 2,
        windspeed=0.5 + current["windspeed"] / 2,
        weathersit=3,
        holiday=1,
    )
    newest = pd.concat([train, drifted])
    paths = {}
    for name, frame in (
        ("train", train),
        ("current", current),
        ("drifted", drifted),
        ("newest", newest),
    ):
        paths[name] = directory / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths
