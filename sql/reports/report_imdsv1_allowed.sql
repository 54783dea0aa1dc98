-- Current instances whose metadata service still answers IMDSv1 (tokens optional, endpoint not disabled).
create or replace view report_imdsv1_allowed as
select
    snapshot_date, account_id, region, name as instance_name, arn as instance_arn, state_name,
    metadata_http_tokens, metadata_http_endpoint, metadata_state
from current_instances
where metadata_http_tokens = 'optional' and coalesce(metadata_http_endpoint, 'enabled') <> 'disabled'
order by account_id, region, instance_name
