-- A rule's rows (temp table rule_out) into rule_rows with the columns every finding shares: the
-- rule's id, title, ATT&CK techniques, its level when a row names no severity, its confidence
-- when a row gives none. $optional_columns (runner.py) adds, as typed nulls or empty lists, the
-- optional columns (runner.OPTIONAL_COLUMNS) the rule did not return.
insert into rule_rows by name
select
    $rule_id as rule_id,
    $title as title,
    coalesce(severity, $level) as severity,
    coalesce(confidence, $confidence) as confidence,
    $attack::varchar[] as attack,
    * exclude (severity, confidence)
from (select * $optional_columns from rule_out)
