# PostgreSQL from Debian's packages, for where the registry's postgres image cannot be pulled:
# the same environment (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), data directory and
# /docker-entrypoint-initdb.d/*.sql as the official image, as far as our compose files use them.
#   docker build -f docker/postgres.Dockerfile --build-arg BASE_IMAGE="$(docker/debian-base)" .
#   POSTGRES_IMAGE=that-tag docker compose -f docker/compose.airflow.yaml up
# BASE_IMAGE: docker/debian-base's image (it has Debian's postgresql 15).
ARG BASE_IMAGE=mlops-tasks-debian-base
FROM ${BASE_IMAGE}
ENV PGDATA=/var/lib/postgresql/data \
    PATH=/usr/lib/postgresql/15/bin:/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
