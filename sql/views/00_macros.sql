-- Small helpers every view, rule and analyst uses: local time, user-agent family, network key.
-- A UTC timestamp as the services' local time: the `timezone` setting (default Europe/Paris),
-- which every Vigie connection sets as the variable vigie_timezone (transforms.lake.configure).
create or replace macro to_local_time(ts) as timezone(getvariable('vigie_timezone'), ts::timestamptz);
-- Working hours are local: Monday-Friday, 07:00-20:00.
create or replace macro is_off_hours(ts) as
    isodow(to_local_time(ts)) >= 6 or hour(to_local_time(ts)) < 7 or hour(to_local_time(ts)) >= 20;
-- Browser family without version, so an auto-update keeps the same family.
create or replace macro ua_family(ua) as case
    when ua is null then 'unknown'
    when regexp_matches(lower(ua), '(python|curl|wget|go-http|okhttp|java/|node-fetch|axios|httpx|aiohttp|libwww|scrapy|postman|powershell|headless|phantomjs|selenium)') then 'script'
    when ua like '%Edg/%' then 'Edge'
    when ua like '%Firefox/%' then 'Firefox'
    when ua like '%Chrome/%' or ua like '%CriOS/%' then 'Chrome'
    when ua like '%Safari/%' then 'Safari'
    when ua like 'Mozilla/%' then 'OtherBrowser'
    else 'other' end;
create or replace macro ua_os(ua) as case
    when ua is null then 'unknown'
    when ua like '%Android%' then 'Android'
    when ua like '%iPhone%' or ua like '%iPad%' then 'iOS'
    when ua like '%Windows%' then 'Windows'
    when ua like '%Mac OS X%' or ua like '%Macintosh%' then 'macOS'
    when ua like '%Linux%' or ua like '%X11%' then 'Linux'
    else 'other' end;
-- "Family on OS": what must stay the same in one session when only the version changes.
create or replace macro ua_key(ua) as ua_family(ua) || '/' || ua_os(ua);
create or replace macro is_scripted_ua(ua) as ua_family(ua) in ('script', 'other');
-- A network as detections compare it: the ASN when known, else the /24 or /64 prefix.
create or replace macro net_key(asn, prefix, ip) as coalesce('AS' || asn::varchar, prefix, ip);
