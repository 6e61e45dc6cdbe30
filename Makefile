# The two commands the README starts with; each sets up what it needs on a fresh machine.
.PHONY: demo test bootstrap lock bench

demo:       ## run the example pipeline under Airflow and Prefect, then show its lineage
	scripts/demo

test:       ## every test suite, each in its own virtualenv
	scripts/test

bootstrap:  ## only create or update .venv/airflow and .venv/prefect
	scripts/bootstrap

lock:       ## re-resolve constraints/*.txt after changing dependencies
	scripts/lock

bench:      ## orchestration overhead benchmarks
	scripts/bench
