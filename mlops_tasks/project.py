"""Where the project lives: its repository, and the URLs of files in it.

Things outside the package name the project by URL: the OpenLineage producer and custom-facet
schema, the Prefect block's logo and documentation link. They point at files of this
repository (`raw_url`), so each names something the package ships.
"""

from __future__ import annotations

REPOSITORY = "https://github.com/mlops-tasks/mlops-tasks"
RAW = "https://raw.githubusercontent.com/mlops-tasks/mlops-tasks/main"


def raw_url(path: str) -> str:
    """The URL of the repository file at `path` (from the repository root), on the main branch.

    >>> raw_url("prefect_blocks/logo.svg")
    'https://raw.githubusercontent.com/mlops-tasks/mlops-tasks/main/prefect_blocks/logo.svg'
    """
    return f"{RAW}/{path.lstrip('/')}"
