"""The code location of a deployment over several machines: the same assets, jobs and resources
as pipelines.definitions, every step sent to Celery workers (dagster-celery) through a broker.

    XXGK_CELERY_BROKER=redis://host:6379/0  XXGK_CELERY_BACKEND=redis://host:6379/1
    dagster-celery worker start -A dagster_celery.app -y celery.yaml -- --pool=solo   # on each machine
    dagster job execute -m pipelines.distributed -j xxgk_inbox

Every machine then needs the same XXGK_* settings, a staging location they all reach
(XXGK_STAGING=s3://bucket/prefix) and the same Dagster instance (Postgres, in dagster.yaml);
the inbox's files must be readable where the reading steps run. README: "Beyond one machine".
"""
from dagster import Definitions, definitions
from dagster_celery import celery_executor

from pipelines.definitions import build_definitions

CELERY = celery_executor.configured(
    {"broker": {"env": "XXGK_CELERY_BROKER"}, "backend": {"env": "XXGK_CELERY_BACKEND"}}, name="xxgk_celery"
)


@definitions
def defs() -> Definitions:
    return build_definitions(executor=CELERY)
