-- docs/tenants.sql: row-level security per workspace (docs/security.md explains it).
--
-- Run once per database, as a superuser, after docs/roles.sql:
--   psql -v ON_ERROR_STOP=1 -d yourdb -f docs/tenants.sql
-- sql/tenants.sql runs this file unchanged.
--
-- Every role but runstore_admin (and superusers, and roles with BYPASSRLS)
-- then sees and changes only the runs and summary rows of the workspace named
-- by the setting app.workspace_id, which the application sets per
-- transaction:  BEGIN; SET LOCAL app.workspace_id = '42'; ...; COMMIT;
-- (transaction-scoped, so safe behind a transaction-pooling pooler).  Not
-- set, or empty: no rows at all.  The setting is the trust boundary: any
-- session that can run its own SQL can SET it, so give this to roles whose
-- SQL your application writes, not to tenants who type their own.
--
-- This covers every runstore function, because every one of them runs its
-- SQL as the caller (the worker wrappers of docs/roles.sql as
-- runstore_queue_definer, which the policy covers too), and the summaries'
-- maintenance (the trigger's appends to the pending table, and the fold)
-- runs as the extension's owner, a superuser, so it still counts every run
-- whoever writes it.  recent_workflows() and the views read the folded
-- table, the pending table and, for a group whose latest run was deleted
-- since the last fold, executions: all three as the caller, so all three
-- need the policy.
--
-- Not covered by row-level security, whatever the policy:
--   * TRUNCATE (empties every workspace): docs/roles.sql grants it to the admin only;
--   * runstore.rebuild_recent_workflows() and runstore.fold_recent_workflows()
--     (SECURITY DEFINER): admin only.

BEGIN;

ALTER TABLE runstore.executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE runstore.recent_workflow_folded ENABLE ROW LEVEL SECURITY;
ALTER TABLE runstore.recent_workflow_pending ENABLE ROW LEVEL SECURITY;

-- FOR ALL with USING only: the same test is the WITH CHECK, so a tenant can
-- neither insert into nor move a run to another workspace.  A value that is
-- not a number raises 22P02 (fails closed).
CREATE POLICY workspace_tenant ON runstore.executions
  USING (workspace_id = nullif(pg_catalog.current_setting('app.workspace_id', true), '')::bigint);
-- The summary tables: read only (nobody but runstore writes them).
CREATE POLICY workspace_tenant ON runstore.recent_workflow_folded FOR SELECT
  USING (workspace_id = nullif(pg_catalog.current_setting('app.workspace_id', true), '')::bigint);
CREATE POLICY workspace_tenant ON runstore.recent_workflow_pending FOR SELECT
  USING (workspace_id = nullif(pg_catalog.current_setting('app.workspace_id', true), '')::bigint);

-- The admin works across workspaces.
CREATE POLICY admin_all ON runstore.executions TO runstore_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON runstore.recent_workflow_folded FOR SELECT TO runstore_admin USING (true);
CREATE POLICY admin_all ON runstore.recent_workflow_pending FOR SELECT TO runstore_admin USING (true);

-- The views runstore.workspace_recent_workflow and user_recent_workflow
-- are security_invoker: the policies of the folded table, the pending
-- table and executions apply through them.

COMMIT;

-- A worker pool that serves every workspace (rather than one per tenant)
-- runs its wrappers as runstore_queue_definer; let that role see all runs:
--   CREATE POLICY queue_all ON runstore.executions TO runstore_queue_definer
--     USING (true) WITH CHECK (true);
-- Then do not grant runstore_worker to any tenant-scoped login.
