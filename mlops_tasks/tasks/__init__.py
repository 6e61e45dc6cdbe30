"""Built-in tasks, one module per stage. Each module's task is registered below."""

from mlops_tasks.plugins import hookimpl
from mlops_tasks.tasks.extract import extract
from mlops_tasks.tasks.profile import profile
from mlops_tasks.tasks.prepare import prepare
from mlops_tasks.tasks.report import data_report
from mlops_tasks.tasks.drift import detect_drift
from mlops_tasks.tasks.monitoring_report import monitoring_report
from mlops_tasks.tasks.notify import notify
from mlops_tasks.tasks.performance import monitor_performance
from mlops_tasks.tasks.reference import fit_reference
from mlops_tasks.tasks.retraining import decide_retraining

from mlops_tasks.tasks.train import train
from mlops_tasks.tasks.evaluate import evaluate
from mlops_tasks.tasks.gate import gate
from mlops_tasks.tasks.register import promote, register
from mlops_tasks.tasks.validate_model import validate_model
from mlops_tasks.tasks.batch_predict import batch_predict
from mlops_tasks.tasks.anomaly import detect_anomalies
from mlops_tasks.tasks.changepoints import detect_changepoints
from mlops_tasks.tasks.schema import infer_schema
from mlops_tasks.tasks.validate import validate

from mlops_tasks.tasks.alerts import correlate_alerts
from mlops_tasks.tasks.rootcause import rank_root_causes
from mlops_tasks.tasks.topology import map_topology
from mlops_tasks.tasks.pipeline_health import check_pipeline_health
from mlops_tasks.tasks.incident_report import incident_report


@hookimpl
def mlops_tasks_register_tasks():
    return [
        extract,
        profile,
        fit_reference,
        detect_drift,
        monitor_performance,
        decide_retraining,
        monitoring_report,
        notify,
        prepare,
        data_report,
        train,
        evaluate,
        gate,
        register,
        promote,
        validate_model,
        batch_predict,
        detect_anomalies,
        detect_changepoints,
        infer_schema,
        validate,
        correlate_alerts,
        rank_root_causes,
        map_topology,
        check_pipeline_health,
        incident_report,
    ]
