"""A metric's requirements for the gate, as config: kept free of NumPy so task modules import it cheaply."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Threshold(BaseModel):
    """One metric's requirements. Unset parts are not checked.

    For a higher-is-better metric the candidate passes when ``value >= threshold`` and
    ``value - champion >= min_absolute_change`` and ``(value - champion) / |champion| >=
    min_relative_change``; lower-is-better flips the signs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(description="accuracy, f1, roc_auc, log_loss, mae, rmse, r2 ...")
    threshold: float | None = Field(None, description="Absolute bound the candidate must meet.")
    min_absolute_change: float | None = Field(
        None, description="Least improvement over the champion."
    )
    min_relative_change: float | None = Field(
        None, description="Least relative improvement over the champion."
    )
    greater_is_better: bool | None = Field(None, description="Direction; default from the metric.")

    def higher(self) -> bool:
        if self.greater_is_better is not None:
            return self.greater_is_better
        from mlops_tasks.models.metrics import HIGHER_IS_BETTER

        return HIGHER_IS_BETTER.get(self.metric, True)
