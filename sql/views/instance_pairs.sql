-- Instances present in two consecutive complete snapshots (same ARN): the rows whose details change views compare.
create or replace view instance_pairs as
select p.account_id, p.region, p.snapshot_date, p.previous_date, cur.arn as instance_arn, cur.name as instance_name
from snapshot_pairs as p
join instances as cur using (account_id, region, snapshot_date)
join instances as prev
    on prev.account_id = p.account_id and prev.region = p.region and prev.snapshot_date = p.previous_date
    and prev.arn = cur.arn
