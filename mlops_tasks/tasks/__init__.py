"""Built-in tasks, one module per stage. Each module's task is registered below."""

from mlops_tasks.plugins import hookimpl
from mlops_tasks.tasks.extract import extract
from mlops_tasks.tasks.profile import profile


@hookimpl
def mlops_tasks_register_tasks():
    return [extract, profile]
