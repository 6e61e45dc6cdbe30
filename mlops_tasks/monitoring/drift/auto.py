"""The automatic choice of drift method, by column type and reference size, as Evidently chooses.

=================  ========================  =========================================
column             reference <= 1000 rows    reference > 1000 rows
=================  ========================  =========================================
numeric            ``ks`` (p < 0.05)         ``wasserstein`` (normalised, >= 0.1)
categorical        ``chi2`` (p < 0.05)       ``jensen_shannon`` (natural log, >= 0.1)
=================  ========================  =========================================

A numeric column with at most 5 distinct reference values is categorical (fitted so by
`mlops_tasks.monitoring.reference.column_kind`). Two differences from Evidently 0.7: the
distinct count is the reference's (Evidently counts reference and current together), and a
binary categorical column on a small reference uses ``chi2`` where Evidently uses a
two-proportion z-test. A reference fitted without a CDF sketch (``sketch=0``) gets
``jensen_shannon`` on its bins for numeric columns too.

>>> from mlops_tasks.monitoring.reference import ColumnReference
>>> choose(ColumnReference(name="x", kind="numeric", count=5000, nulls=0, grid=__import__("numpy").ones(3)))
'wasserstein'
>>> choose(ColumnReference(name="c", kind="categorical", count=200, nulls=0))
'chi2'
"""

from __future__ import annotations

from mlops_tasks.monitoring.reference import ColumnReference

SMALL_REFERENCE = 1000


def choose(ref: ColumnReference) -> str:
    small = ref.count <= SMALL_REFERENCE
    if ref.kind == "categorical":
        return "chi2" if small else "jensen_shannon"
    if not len(ref.grid):
        return "jensen_shannon"
    return "ks" if small else "wasserstein"
