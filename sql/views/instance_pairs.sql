-- Instances of a complete snapshot paired with their previous readable row (same ARN): the rows whose details the
-- change views compare. That is the previous complete snapshot of the account and region, unless the instance was
-- quarantined there (its record could not be read): then the last snapshot that could read it, so a change made
-- while it was unreadable still shows (`previous_date` says which snapshot it is compared with). ARNs are not
-- reused by AWS, so an instance absent in between (see instance_changes) is the same one seen again.
create or replace view instance_pairs as
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name
from (
    select
        account_id, region, snapshot_date, arn as instance_arn, name as instance_name,
        lag(snapshot_date) over (partition by account_id, region, arn order by snapshot_date) as previous_date
    from instances
)
where previous_date is not null
