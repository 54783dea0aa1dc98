-- Tag keys every instance must carry (report_missing_required_tags). Created once with these defaults; change it
-- with plain SQL on the warehouse, e.g. insert into required_tag_keys values ('cost-center'). Keys match case-insensitively.
create table if not exists required_tag_keys as
select * from (values ('env'), ('owner')) as defaults(key)
