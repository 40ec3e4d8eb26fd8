-- DROP EXTENSION after undistribute() leaves nothing of runstore on any node.
\set VERBOSITY default
SET client_min_messages = warning;
DROP EXTENSION runstore;
SELECT count(*) AS relations FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'runstore';
SELECT result AS relations_on_worker FROM run_command_on_workers(
  $$SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relname ~ '^(executions|recent_workflow_pending|recent_workflow_folded)(_[0-9]+)?$'$$);
-- Citus creates an extension's schema on the workers before it propagates
-- CREATE EXTENSION, so the schema outlives DROP EXTENSION there (empty, as
-- above): the README's last step removes it, through the coordinator, which
-- propagates the DROP SCHEMA (a worker refuses to drop Citus's objects).
SELECT result AS runstore_schema_on_worker FROM run_command_on_workers(
  $$SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'runstore'$$);
DROP SCHEMA runstore;
SELECT result AS runstore_schema_on_worker FROM run_command_on_workers(
  $$SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'runstore'$$);
DROP ROLE citus_tenant;
DROP ROLE citus_reader;
DROP FUNCTION u(int);
DROP FUNCTION lists_differing();
