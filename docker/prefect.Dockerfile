# A Prefect 3 server or worker image with mlops-tasks. Build from the repository root:
#   docker build -f docker/prefect.Dockerfile -t mlops-tasks-prefect .
# BASE_IMAGE: any image with Python 3.11 and pip (Prefect's official image by default).
ARG BASE_IMAGE=prefecthq/prefect:3.8.8-python3.11
FROM ${BASE_IMAGE}
COPY pyproject.toml /opt/mlops-tasks/
COPY constraints/prefect.txt /opt/mlops-tasks/constraints/prefect.txt
# The dependencies first, in a layer of their own that only pyproject.toml or the constraints
# change (a stand-in package of empty modules and an empty README, in a temporary folder); the
# code and the README on top.
WORKDIR /opt/mlops-tasks
RUN stub="$(mktemp -d)" && cp pyproject.toml "$stub/" && touch "$stub/README.md" \
 && for p in mlops_tasks airflow_provider prefect_blocks; do \
      mkdir "$stub/$p" && touch "$stub/$p/__init__.py"; done \
 && pip install --no-cache-dir "${stub}[prefect,postgres,s3,prefect-dask,aiops]" -c constraints/prefect.txt \
 && rm -r "$stub"
COPY README.md prefect.yaml /opt/mlops-tasks/
COPY mlops_tasks/ /opt/mlops-tasks/mlops_tasks/
COPY airflow_provider/ /opt/mlops-tasks/airflow_provider/
COPY prefect_blocks/ /opt/mlops-tasks/prefect_blocks/
COPY dags/ /opt/mlops-tasks/dags/
RUN pip install --no-cache-dir --no-deps --force-reinstall /opt/mlops-tasks
# prefect.yaml's pull step runs the flows from here.
ENV MLOPS_TASKS_PROJECT_DIR=/opt/mlops-tasks
WORKDIR /opt/mlops-tasks
