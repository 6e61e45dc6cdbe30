# Airflow 3 with the mlops-tasks provider. Build from the repository root:
#   docker build -f docker/airflow.Dockerfile -t mlops-tasks-airflow .
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
COPY --chown=airflow:root . /opt/mlops-tasks
# The same lock file CI tests against (it pins the Airflow this image ships).
RUN pip install --no-cache-dir "/opt/mlops-tasks[postgres]" -c /opt/mlops-tasks/constraints/airflow.txt
COPY --chown=airflow:root dags/ /opt/airflow/dags/
