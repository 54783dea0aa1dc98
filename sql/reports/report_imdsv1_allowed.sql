-- Current instances whose metadata service may still answer IMDSv1: tokens optional, or unknown (the record has no
-- metadataOptions, as with some older instances: nothing shows tokens are required), with the endpoint not
-- disabled. `imdsv1` says which: 'allowed' or 'unknown'.
create or replace view report_imdsv1_allowed as
select
    snapshot_date, account_id, region, name as instance_name, arn as instance_arn, state_name,
    case when metadata_http_tokens = 'optional' then 'allowed' else 'unknown' end as imdsv1,
    metadata_http_tokens, metadata_http_endpoint, metadata_state
from current_instances
where coalesce(metadata_http_tokens, 'optional') = 'optional' and coalesce(metadata_http_endpoint, 'enabled') <> 'disabled'
order by account_id, region, imdsv1, instance_name
