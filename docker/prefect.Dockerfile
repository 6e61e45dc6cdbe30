# A Prefect 3 worker image with mlops-tasks. Build from the repository root:
#   docker build -f docker/prefect.Dockerfile -t mlops-tasks-prefect .
FROM prefecthq/prefect:3.8.8-python3.11
COPY . /opt/mlops-tasks
RUN pip install --no-cache-dir "/opt/mlops-tasks[postgres]" -c /opt/mlops-tasks/constraints/prefect.txt
COPY dags/ /opt/prefect/flows/
WORKDIR /opt/prefect/flows
