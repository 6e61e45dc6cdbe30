-- The mlops-tasks metadata store gets its own database; its schema is created by the package's
-- migrations on first use.
CREATE DATABASE mlops_tasks;
