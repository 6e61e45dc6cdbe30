# Airflow 3 with the mlops-tasks provider. Build from the repository root:
#   docker build -f docker/airflow.Dockerfile -t mlops-tasks-airflow .
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
COPY --chown=airflow:root . /opt/mlops-tasks
# Airflow's own constraints keep its dependencies as released; ours adds only what it needs.
RUN pip install --no-cache-dir "/opt/mlops-tasks[postgres]" \
      --constraint "https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-3.11.txt"
COPY --chown=airflow:root dags/ /opt/airflow/dags/
