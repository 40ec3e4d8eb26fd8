-- pg_dump carries the runs (registered with pg_extension_config_dump) and
-- not the recent-workflow slots: those are derived, and a restore rebuilds
-- them through the trigger as it loads the runs (tests/dump/run.sh).
SELECT c.relid::regclass AS dumped_table, c.condition
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS c(relid, condition)
 WHERE e.extname = 'runstore';
