"""Training and current CSVs for the monitoring loop tests of both engines: the bike-sharing
days of 2011 for training, those of 2012 as the current window, and 2012 with injected drift."""

from __future__ import annotations

from pathlib import Path


def write_loop_data(bike_csv: Path, directory: Path) -> dict[str, Path]:
    import pandas as pd

    day = pd.read_csv(bike_csv)
    train, current = day[day["yr"] == 0], day[day["yr"] == 1]
    # Injected drift: a hotter, drier, windier, cloudier year of holidays.
    drifted = current.assign(
        temp=current["temp"] + 0.3,
        atemp=current["atemp"] + 0.3,
        hum=current["hum"] * 0.5,
        windspeed=current["windspeed"] + 0.2,
        weathersit=3,
        holiday=1,
    )
    paths = {}
    for name, frame in (("train", train), ("current", current), ("drifted", drifted)):
        paths[name] = directory / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths
