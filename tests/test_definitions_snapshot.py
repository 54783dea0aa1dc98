"""The whole definitions graph as text: any change to asset keys, checks, jobs, schedules or resources shows in review.

When a change is intended, run this file and paste the printed text into EXPECTED.
"""

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.resources import schedule_running_from_env

EXPECTED = """
asset disk_add_ons group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset disk_tags group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset disks group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset extraction_runs group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset firewall_port_cidr_list_aliases group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset firewall_port_cidrs group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset firewall_port_ipv6_cidrs group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset firewall_ports group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset instance_add_ons group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset instance_ipv6_addresses group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset instance_status_details group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset instance_tags group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset instances group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset lightsail_raw_pages group=lightsail kinds=aws,json partitioned=True deps=-
asset quarantine group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset snapshots group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
asset system_status_details group=warehouse kinds=duckdb partitioned=True deps=lightsail_raw_pages
check disk_add_ons:has_parent blocking
check disk_add_ons:primary_key_unique blocking
check disk_tags:has_parent blocking
check disk_tags:primary_key_unique blocking
check disks:has_parent blocking
check disks:primary_key_unique blocking
check firewall_port_cidr_list_aliases:has_parent blocking
check firewall_port_cidr_list_aliases:primary_key_unique blocking
check firewall_port_cidrs:has_parent blocking
check firewall_port_cidrs:primary_key_unique blocking
check firewall_port_ipv6_cidrs:has_parent blocking
check firewall_port_ipv6_cidrs:primary_key_unique blocking
check firewall_ports:has_parent blocking
check firewall_ports:primary_key_unique blocking
check instance_add_ons:has_parent blocking
check instance_add_ons:primary_key_unique blocking
check instance_ipv6_addresses:has_parent blocking
check instance_ipv6_addresses:primary_key_unique blocking
check instance_status_details:has_parent blocking
check instance_status_details:primary_key_unique blocking
check instance_tags:has_parent blocking
check instance_tags:primary_key_unique blocking
check instances:counts_reconcile blocking
check instances:instance_count_drop
check instances:primary_key_unique blocking
check instances:schema_drift
check quarantine:primary_key_unique blocking
check quarantine:quarantined_records blocking
check snapshots:freshness
check system_status_details:has_parent blocking
check system_status_details:primary_key_unique blocking
job freshness_check_job assets=0 checks=1 executor=in_process
job lightsail_warehouse_job assets=17 checks=31 executor=in_process
schedule freshness_hourly job=freshness_check_job cron='30 * * * *' tz=UTC default=RUNNING
schedule nightly job=lightsail_warehouse_job cron='0 2 * * *' tz=UTC default=RUNNING
resource lightsail LightsailResource
resource progress ProgressResource
resource thresholds CheckThresholds
resource warehouse WarehouseResource
"""


def describe(definitions):
    """One line per asset, check, job, schedule and resource, sorted within each kind."""
    graph = definitions.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        deps = ",".join(sorted(k.to_user_string() for k in node.parent_keys)) or "-"
        lines.append(f"asset {key.to_user_string()} group={node.group_name} kinds={','.join(sorted(node.kinds))} "
                     f"partitioned={node.partitions_def is not None} deps={deps}")
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        blocking = " blocking" if graph.get_check_spec(key).blocking else ""
        lines.append(f"check {key.asset_key.to_user_string()}:{key.name}{blocking}")
    for job in sorted(definitions.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        layer = job.asset_layer.asset_graph
        lines.append(f"job {job.name} assets={len(layer.executable_asset_keys)} checks={len(layer.asset_check_keys)} "
                     f"executor={job.executor_def.name}")
    for schedule in sorted(definitions.schedules, key=lambda s: s.name):
        lines.append(f"schedule {schedule.name} job={schedule.job_name} cron={schedule.cron_schedule!r} "
                     f"tz={schedule.execution_timezone} default={schedule.default_status.value}")
    lines += [f"resource {name} {type(resource).__name__}" for name, resource in sorted(definitions.resources.items())]
    return "\n".join(lines)


def test_the_definitions_graph_matches_the_snapshot():
    actual = describe(defs)
    assert actual == EXPECTED.strip(), "the definitions changed; if intended, paste into EXPECTED:\n" + actual


def test_the_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


@pytest.mark.parametrize("value, running", [("0", False), ("false", False), (" Off ", False), ("no", False),
                                            ("1", True), ("TRUE", True), ("yes", True), ("on", True), (None, True)])
def test_the_schedule_switch_reads_the_usual_spellings(monkeypatch, value, running):
    if value is None:
        monkeypatch.delenv("LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING", raising=False)
    else:
        monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING", value)
    assert schedule_running_from_env() is running


def test_a_schedule_switch_that_means_nothing_is_refused(monkeypatch):
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING", "sometimes")
    with pytest.raises(ValueError, match="LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING must be 1/true/yes/on or 0/false/no/off, not 'sometimes'"):
        schedule_running_from_env()
