"""Built-in tasks, one module per stage, registered by name.

A task's module is imported when the task is first asked for, not here: an Airflow DAG file
that uses two operators should not pay for building every task's config models.
"""

from mlops_tasks.plugins import hookimpl
from mlops_tasks.registry import LazyTask

BUILTIN_TASKS = {
    # data
    "extract": "mlops_tasks.tasks.extract:extract",
    "profile": "mlops_tasks.tasks.profile:profile",
    "infer_schema": "mlops_tasks.tasks.schema:infer_schema",
    "validate": "mlops_tasks.tasks.validate:validate",
    "prepare": "mlops_tasks.tasks.prepare:prepare",
    "data_report": "mlops_tasks.tasks.report:data_report",
    # model
    "train": "mlops_tasks.tasks.train:train",
    "import_model": "mlops_tasks.tasks.import_model:import_model",
    "evaluate": "mlops_tasks.tasks.evaluate:evaluate",
    "gate": "mlops_tasks.tasks.gate:gate",
    "register": "mlops_tasks.tasks.register:register",
    "promote": "mlops_tasks.tasks.register:promote",
    "validate_model": "mlops_tasks.tasks.validate_model:validate_model",
    "batch_predict": "mlops_tasks.tasks.batch_predict:batch_predict",
    # monitoring
    "fit_reference": "mlops_tasks.tasks.reference:fit_reference",
    "detect_drift": "mlops_tasks.tasks.drift:detect_drift",
    "monitor_performance": "mlops_tasks.tasks.performance:monitor_performance",
    "decide_retraining": "mlops_tasks.tasks.retraining:decide_retraining",
    "monitoring_report": "mlops_tasks.tasks.monitoring_report:monitoring_report",
    "notify": "mlops_tasks.tasks.notify:notify",
    # aiops
    "detect_anomalies": "mlops_tasks.tasks.anomaly:detect_anomalies",
    "detect_changepoints": "mlops_tasks.tasks.changepoints:detect_changepoints",
    "correlate_alerts": "mlops_tasks.tasks.alerts:correlate_alerts",
    "rank_root_causes": "mlops_tasks.tasks.rootcause:rank_root_causes",
    "map_topology": "mlops_tasks.tasks.topology:map_topology",
    "check_pipeline_health": "mlops_tasks.tasks.pipeline_health:check_pipeline_health",
    "incident_report": "mlops_tasks.tasks.incident_report:incident_report",
}


@hookimpl
def mlops_tasks_register_tasks():
    return [LazyTask(name, path) for name, path in BUILTIN_TASKS.items()]
