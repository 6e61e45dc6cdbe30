"""The retraining policy: declarative triggers and guards in, a decision with its reasons out.

Triggers (any one suffices): the share of drifted columns, the drop of realised performance
below the baseline, the model's age. Guards (all must pass): enough new rows since the last
training, and a cool-down since the last "retrain" decision.

>>> policy = RetrainingPolicy(max_drift_share=0.3, min_new_rows=100, cooldown_hours=24)
>>> d = decide(policy, Signals(drift_share=0.5, new_rows=1000))
>>> d.retrain, d.reasons
(True, ['drift share 0.5 >= 0.3'])
>>> d = decide(policy, Signals(drift_share=0.5, new_rows=1000, hours_since_last_retrain=2))
>>> d.retrain, d.blocked_by
(False, ['cool-down: last retrain 2.0 h ago < 24.0 h'])
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The one name under which a "retrain" decision is announced: the Airflow Asset the training DAG
# is scheduled on, and the Prefect event a training deployment's trigger expects.
RETRAIN_EVENT = "mlops-tasks.retrain"


class RetrainingPolicy(BaseModel):
    """When to retrain. A trigger left as None is off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_drift_share: float | None = Field(
        0.5, ge=0, le=1, description="Retrain when at least this share of columns drifted."
    )
    max_performance_drop: float | None = Field(
        0.05,
        ge=0,
        description="Retrain when the baseline metric minus the realised one is at least this.",
    )
    max_model_age_days: float | None = Field(
        None, gt=0, description="Retrain when the model is older than this."
    )
    min_new_rows: int = Field(0, ge=0, description="Never retrain on fewer new rows than this.")
    cooldown_hours: float = Field(
        0, ge=0, description="Never retrain within this long of the last retrain decision."
    )


class Signals(BaseModel):
    """What monitoring observed; None means not measured (that trigger cannot fire)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drift_share: float | None = None
    performance_drop: float | None = None
    model_age_days: float | None = None
    new_rows: int | None = None
    hours_since_last_retrain: float | None = None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    retrain: bool
    reasons: list[str]  # triggers that fired
    blocked_by: list[str]  # guards that held a fired trigger back
    signals: Signals


def decide(policy: RetrainingPolicy, signals: Signals) -> Decision:
    reasons, blocked = [], []
    p, s = policy, signals
    if (
        p.max_drift_share is not None
        and s.drift_share is not None
        and s.drift_share >= p.max_drift_share
    ):
        reasons.append(f"drift share {s.drift_share:.3g} >= {p.max_drift_share:.3g}")
    if (
        p.max_performance_drop is not None
        and s.performance_drop is not None
        and s.performance_drop >= p.max_performance_drop
    ):
        reasons.append(f"performance drop {s.performance_drop:.3g} >= {p.max_performance_drop:.3g}")
    if (
        p.max_model_age_days is not None
        and s.model_age_days is not None
        and s.model_age_days > p.max_model_age_days
    ):
        reasons.append(f"model age {s.model_age_days:.1f} d > {p.max_model_age_days:.1f} d")
    if reasons:
        if p.min_new_rows and (s.new_rows or 0) < p.min_new_rows:
            blocked.append(f"new rows {s.new_rows or 0} < {p.min_new_rows}")
        if (
            p.cooldown_hours
            and s.hours_since_last_retrain is not None
            and s.hours_since_last_retrain < p.cooldown_hours
        ):
            blocked.append(
                f"cool-down: last retrain {s.hours_since_last_retrain:.1f} h ago < {p.cooldown_hours:.1f} h"
            )
    return Decision(
        retrain=bool(reasons) and not blocked, reasons=reasons, blocked_by=blocked, signals=signals
    )
