-- Disks of current instances that are not attached: `is_attached` false, or when it is absent `attachment_state`
-- other than attached (a disk being detached, or listed after detaching). GetInstances lists only the disks of
-- instances: stand-alone disks that were never attached, or outlived their instance, are not extracted (that needs
-- Lightsail's GetDisks), so an empty report does not mean there is no orphaned block storage.
create or replace view report_unattached_disks as
select
    d.snapshot_date, d.account_id, d.region, d.instance_arn, i.name as instance_name, d.disk_index,
    d.name as disk_name, d.arn as disk_arn, d.size_in_gb, d.state, d.is_attached, d.attachment_state, d.attached_to
from current_disks as d
join current_instances as i
    on i.snapshot_date = d.snapshot_date and i.account_id = d.account_id and i.region = d.region and i.arn = d.instance_arn
where not coalesce(d.is_attached, d.attachment_state = 'attached', true)
order by d.account_id, d.region, instance_name, d.disk_index
