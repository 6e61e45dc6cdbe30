# Airflow 3 with the mlops-tasks provider. Build from the repository root:
#   docker build -f docker/airflow.Dockerfile -t mlops-tasks-airflow .
# BASE_IMAGE: any image with Python 3.11 and pip, e.g. Airflow's official image
# (apache/airflow:3.3.2-python3.11), your own, or a base built from Debian packages where no
# registry is reachable (tests/deploy/test_docker.py).
ARG BASE_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${BASE_IMAGE}
# Airflow's own constraints file for that Airflow and Python (the one Airflow's docs install with);
# the build copies it in, as no constraints URL may be reachable from the build.
ARG AIRFLOW_CONSTRAINTS=constraints/airflow.txt
COPY pyproject.toml /opt/mlops-tasks/
COPY ${AIRFLOW_CONSTRAINTS} /opt/mlops-tasks/constraints.txt
# The dependencies first, in a layer of their own that only pyproject.toml or the constraints
# change (a stand-in package of empty modules and an empty README, in a temporary folder); the
# code and the README on top. The extras are what a Celery deployment on PostgreSQL with an S3
# artifact root needs; Airflow itself is pinned by the constraints (the image's own Airflow when
# the base image has one).
WORKDIR /opt/mlops-tasks
RUN stub="$(mktemp -d)" && cp pyproject.toml "$stub/" && touch "$stub/README.md" \
 && for p in mlops_tasks airflow_provider prefect_blocks; do \
      mkdir "$stub/$p" && touch "$stub/$p/__init__.py"; done \
 && pip install --no-cache-dir "${stub}[airflow,postgres,celery,s3,aiops]" -c constraints.txt \
 && rm -r "$stub"
COPY README.md /opt/mlops-tasks/
COPY mlops_tasks/ /opt/mlops-tasks/mlops_tasks/
COPY airflow_provider/ /opt/mlops-tasks/airflow_provider/
COPY prefect_blocks/ /opt/mlops-tasks/prefect_blocks/
RUN pip install --no-cache-dir --no-deps --force-reinstall /opt/mlops-tasks
COPY dags/ /opt/airflow/dags/
ENV AIRFLOW_HOME=/opt/airflow
WORKDIR /opt/airflow
