# The two commands the README starts with; each sets up what it needs on a fresh machine.
.PHONY: demo demo-quick test bootstrap lock bench

demo:       ## the lifecycle (training, monitoring -> retraining, AIOps) under Airflow and Prefect, a summary, .demo/index.html
	scripts/demo

demo-quick: ## only extract -> profile under both engines, then its lineage
	scripts/demo --quick

test:       ## every test suite, each in its own virtualenv
	scripts/test

bootstrap:  ## only create or update .venv/airflow and .venv/prefect
	scripts/bootstrap

lock:       ## re-resolve constraints/*.txt after changing dependencies
	scripts/lock

bench:      ## orchestration overhead benchmarks
	scripts/bench
