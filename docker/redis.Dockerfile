# Redis from Debian's packages, for where the registry's redis image cannot be pulled: a broker
# for Celery on every address, without persistence (as the official image runs it by default).
#   docker build -f docker/redis.Dockerfile --build-arg BASE_IMAGE="$(docker/debian-base)" .
#   REDIS_IMAGE=that-tag docker compose -f docker/compose.airflow.yaml up
# BASE_IMAGE: docker/debian-base's image (it has Debian's redis-server).
ARG BASE_IMAGE=mlops-tasks-debian-base
FROM ${BASE_IMAGE}
EXPOSE 6379
CMD ["setpriv", "--reuid=redis", "--regid=redis", "--init-groups", \
     "redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", ""]
