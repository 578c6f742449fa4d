"""Where every asset and step output lives: one folder per inbox, asset and year, on any fsspec
location (a local folder by default; ``s3://bucket/prefix`` through s3fs).

    <staging>/inbox-<hash of the inbox path>/raw_documents/            manifest + shard=NNNN/ parts
                                             normalised_documents/     manifest + year=Y/ parts
                                             report_tables/year=Y/     tables + cells parts
                                             checked_facts/year=Y/
                                             steps/<step>/[year=Y/]<output>   the shards between steps

The path depends on the inbox, the asset and the partition only, never on the run: a run
reads what the runs before it wrote for the same inbox, two inboxes never share a folder,
and materialising an asset again replaces its folder. Values are written by
:func:`xxgk.staging.save_record` (frames as Parquet, the rest as JSON), not pickled.
"""

from dagster import ConfigurableIOManagerFactory, InputContext, OutputContext, UPathIOManager
from upath import UPath

from assets.resources import StagingResource
from xxgk.staging import load_record, save_record


class StageIOManager(ConfigurableIOManagerFactory):
    """The IO manager of every asset and op output (resource key ``io_manager``)."""

    staging: StagingResource

    def create_io_manager(self, context) -> "StageStores":
        return StageStores(self.staging)


class StageStores(UPathIOManager):
    def __init__(self, staging: StagingResource):
        super().__init__(base_path=UPath(staging.root))

    def get_path_for_partition(self, context, path: UPath, partition: str) -> UPath:
        return path / f"year={partition}"  # hive style: every partitioned asset is by statistics year

    def get_op_output_relative_path(self, context: InputContext | OutputContext) -> UPath:
        # the shards inside a stage: per step (and year), not per run, so nothing piles up
        # a mapped step's key names its shard, "extract_shard[0003]"; a dynamic output's mapping key
        # follows its name: every shard has a folder of its own
        _run, step, *name = context.get_identifier()
        step, _, shard = step.partition("[")
        year = [f"year={context.partition_key}"] if context.has_partition_key else []
        return UPath("steps", step, *year, *name, *([f"shard={shard.rstrip(']')}"] if shard else []))

    def dump_to_path(self, context: OutputContext, obj, path: UPath) -> None:
        save_record(obj, str(path))

    def load_from_path(self, context: InputContext, path: UPath):
        return load_record(str(path))
