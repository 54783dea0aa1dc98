-- Failed attempts recorded under an account id ('unknown' when nothing revealed it, or a mistyped one) that a later
-- successful attempt of the same configured account and region corrected, for the same or a later snapshot date:
-- no snapshot will ever come under that id, and the good one covers the failed date. Never stale.
create or replace view superseded_failures as
select r.*
from extraction_runs as r
where r.status = 'failed'
    and exists (
        select 1 from extraction_runs as later
        where later.status = 'ok' and later.account = r.account and later.region = r.region
            and later.account_id <> r.account_id and later.account_id <> 'unknown'
            and later.started_at > r.started_at and later.snapshot_date >= r.snapshot_date
    )
