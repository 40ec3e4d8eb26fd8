// fuzz_reshape_cases.cpp: the cases of the reshape phase (see
// fuzz_reshape.hpp): the ways users change runstore's tables, each a list of
// statements and how the case's transaction ends.
#include "fuzz_reshape.hpp"

namespace fuzz {

namespace {

// As installed, the primary key is (workspace_id, id), the key Citus needs,
// and executions_id_idx serves lookups by id alone.  Without it, no index is
// led by id; with the key before 0.3.0, on id alone, the key is.
const char *const kWithoutIdIndex = "DROP INDEX runstore.executions_id_idx";
const char *const kKeyOnId = "ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (id); "
                             "DROP INDEX runstore.executions_id_idx";

// The views runstore.workspace_recent_workflow and user_recent_workflow read
// the runs' columns (a rechecked group's latest run) and the summary tables',
// and verify_recent_workflows() is BEGIN ATOMIC over them: PostgreSQL refuses
// to retype or drop a column they read, so a user who does drops them first.
const char *const kDropVerify = "ALTER EXTENSION runstore DROP FUNCTION runstore.verify_recent_workflows(); "
                                "DROP FUNCTION runstore.verify_recent_workflows(); "
                                "ALTER EXTENSION runstore DROP VIEW runstore.workspace_recent_workflow; "
                                "ALTER EXTENSION runstore DROP VIEW runstore.user_recent_workflow; "
                                "DROP VIEW runstore.workspace_recent_workflow, runstore.user_recent_workflow";

std::string
Retype(const std::string &column, const std::string &type_and_using)
{
	return "ALTER TABLE runstore.executions ALTER COLUMN " + column + " TYPE " + type_and_using;
}

std::string
SummaryIndex(const std::string &table, const std::string &definition)
{
	return "CREATE INDEX ON runstore." + table + " " + definition;
}

} // namespace

std::vector<ReshapeCase>
ReshapeCases()
{
	const std::string key = kWithoutIdIndex;
	const auto index = [](const std::string &definition) {
		return "CREATE INDEX ON runstore.executions " + definition;
	};
	const std::string pending = "recent_workflow_pending", folded = "recent_workflow_folded";
	// The extension's one and eight more: past what a direct append handles.
	std::vector<std::string> many_pending_indexes;
	for (const char *columns : {"(workflow_id)", "(user_id)", "(last_used_at)", "(last_execution_id)", "(workspace_id)",
	                            "(workflow_id, user_id)", "(last_used_at, workflow_id)", "USING hash (user_id)"})
		many_pending_indexes.push_back(SummaryIndex(pending, columns));
	return {
	    {"as installed", {}},
	    // The shipped key without the index on id: no index is led by id.
	    {"primary key (workspace_id, id) without executions_id_idx", {key}},
	    {"primary key (workspace_id, id), executions_id_idx replaced by another index on id", {key, index("(id)")}},
	    {"primary key (id), the key before 0.3.0", {kKeyOnId}},
	    {"primary key (workspace_id, id), unique index on id",
	     {key, "CREATE UNIQUE INDEX ON runstore.executions (id)"}},
	    {"primary key (id, workspace_id)",
	     {"ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey, ADD PRIMARY KEY (id, workspace_id)", key}},
	    {"no primary key, no index on id", {"ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey", key}},
	    // A shape cached inside a transaction must be forgotten when it rolls back.
	    {"primary key (workspace_id, id) in a transaction rolled back", {key}, Txn::kRolledBack},
	    {"primary key (workspace_id, id) and an index on id after a savepoint rolled back to",
	     {key, index("(id)")},
	     Txn::kSavepointRolledBack},
	    {"columns added with defaults and payload dropped, in a transaction rolled back",
	     {"ALTER TABLE runstore.executions ADD COLUMN region text NOT NULL DEFAULT 'eu-west', DROP COLUMN payload"},
	     Txn::kRolledBack},
	    {"primary key (workspace_id, id) and summary-table indexes after a savepoint rolled back to",
	     {key, SummaryIndex(pending, "((workflow_id % 7))"), SummaryIndex(folded, "USING brin (last_used_at)"),
	      SummaryIndex(folded, "USING hash (user_id)")},
	     Txn::kSavepointRolledBack},
	    // Rows stored before ADD COLUMN ... DEFAULT lack the column physically.
	    {"columns added with defaults, payload dropped",
	     {"ALTER TABLE runstore.executions ADD COLUMN region text NOT NULL DEFAULT 'eu-west', "
	      "ADD COLUMN shard bigint DEFAULT 42, DROP COLUMN payload"}},
	    {"primary key (workspace_id, id), a column added with a default, result dropped",
	     {key, "ALTER TABLE runstore.executions ADD COLUMN note text DEFAULT 'n', DROP COLUMN result"}},
	    // Extra indexes beside the key (workspace_id, id): none of them may pass for an index led by id.
	    {"primary key (workspace_id, id), hash index on id", {key, index("USING hash (id)")}},
	    {"primary key (workspace_id, id), BRIN index on created_at", {key, index("USING brin (created_at)")}},
	    {"primary key (workspace_id, id), B-tree (id DESC)", {key, index("(id DESC)")}},
	    {"primary key (workspace_id, id), partial unique index on id WHERE workspace_id > 0",
	     {key, "CREATE UNIQUE INDEX ON runstore.executions (id) WHERE workspace_id > 0"}},
	    {"primary key (workspace_id, id), expression index on (id::text)", {key, index("((id::text))")}},
	    {"primary key (workspace_id, id), B-tree (created_at, id)", {key, index("(created_at, id)")}},
	    {"as installed, plus hash, BRIN, descending, partial, expression and (created_at, id) indexes",
	     {index("USING hash (id)"), index("USING brin (created_at)"), index("(id DESC)"),
	      "CREATE UNIQUE INDEX ON runstore.executions (id) WHERE workspace_id > 0", index("((id::text))"),
	      index("(created_at, id)")}},
	    // Columns the trigger and the lookups read, retyped: every direct path must run its statement.
	    {"user_id retyped to integer USING NULL",
	     {kDropVerify, Retype("user_id", "integer USING NULL")},
	     Txn::kCommitted,
	     false},
	    {"user_id retyped to integer USING length(user_id)",
	     {kDropVerify, Retype("user_id", "integer USING length(user_id)")},
	     Txn::kCommitted,
	     false},
	    {"user_id retyped to varchar(64)", {kDropVerify, Retype("user_id", "varchar(64)")}, Txn::kCommitted, false},
	    {"user_id with a nondeterministic collation",
	     {kDropVerify, Retype("user_id", "text COLLATE public.runstore_fuzz_ci")},
	     Txn::kCommitted,
	     false},
	    {"workflow_id retyped to integer", {kDropVerify, Retype("workflow_id", "integer")}, Txn::kCommitted, false},
	    {"created_at retyped to timestamp without time zone",
	     {kDropVerify, Retype("created_at", "timestamp without time zone")},
	     Txn::kCommitted,
	     false},
	    {"workspace_id retyped to integer",
	     {kDropVerify, Retype("workspace_id", "integer USING (workspace_id % 1000000)::integer")},
	     Txn::kCommitted,
	     false},
	    {"id retyped to text", {kDropVerify, Retype("id", "text")}, Txn::kCommitted, false},
	    // Same name and type, another attribute number; the summaries rebuilt, so they are exact again.
	    {"user_id dropped and added again, the views and verify_recent_workflows recreated",
	     {"DO $fz$ DECLARE def text := pg_get_functiondef('runstore.verify_recent_workflows()'::regprocedure); "
	      "ws_view text := pg_get_viewdef('runstore.workspace_recent_workflow'::regclass); "
	      "user_view text := pg_get_viewdef('runstore.user_recent_workflow'::regclass); "
	      "BEGIN " +
	          std::string(kDropVerify) +
	          "; ALTER TABLE runstore.executions DROP COLUMN user_id; "
	          "ALTER TABLE runstore.executions ADD COLUMN user_id text; "
	          "EXECUTE 'CREATE VIEW runstore.workspace_recent_workflow WITH (security_invoker = true) AS ' || ws_view; "
	          "EXECUTE 'CREATE VIEW runstore.user_recent_workflow WITH (security_invoker = true) AS ' || user_view; "
	          "EXECUTE def; END $fz$",
	      // The new column is NULL in every row: give most of them a user again.
	      "UPDATE runstore.executions SET user_id = (length(id::text) % 3 + 1)::text WHERE workspace_id <> 0",
	      "SELECT runstore.rebuild_recent_workflows()"}},
	    // The claim frontier relies on these triggers' announcements.
	    {"_register_priorities triggers disabled",
	     {"ALTER TABLE runstore.executions DISABLE TRIGGER executions_register_priorities_insert, "
	      "DISABLE TRIGGER executions_register_priorities_update"}},
	    {"_register_priorities triggers enabled for replicas only",
	     {"ALTER TABLE runstore.executions ENABLE REPLICA TRIGGER executions_register_priorities_insert, "
	      "ENABLE REPLICA TRIGGER executions_register_priorities_update"}},
	    {"every user trigger disabled",
	     {"ALTER TABLE runstore.executions DISABLE TRIGGER USER"},
	     Txn::kCommitted,
	     false},
	    // The pending table the INSERT upkeep appends to directly, and the folded table the fold writes.
	    {"pending and folded tables with extra BRIN, hash and B-tree indexes",
	     {SummaryIndex(pending, "USING brin (last_used_at)"), SummaryIndex(pending, "USING hash (workflow_id)"),
	      SummaryIndex(pending, "(last_execution_id)"), SummaryIndex(folded, "USING brin (last_used_at)"),
	      SummaryIndex(folded, "USING hash (workflow_id)"), SummaryIndex(folded, "(user_id, workflow_id)")}},
	    {"pending table with 9 indexes", many_pending_indexes},
	    {"pending table with an expression index and a partial index, folded table with an expression index",
	     {SummaryIndex(pending, "((workflow_id % 7))"), SummaryIndex(pending, "(user_id) WHERE last_used_at IS NULL"),
	      SummaryIndex(folded, "((workflow_id % 7))")}},
	    {"pending table with a unique index",
	     {"CREATE UNIQUE INDEX ON runstore.recent_workflow_pending "
	      "(workspace_id, workflow_id, user_id, last_used_at, last_execution_id)"}},
	    {"pending table with a CHECK constraint and a column added with a default",
	     {"ALTER TABLE runstore.recent_workflow_pending ADD CONSTRAINT fz_check CHECK (workspace_id IS NOT NULL), "
	      "ADD COLUMN fz_note text DEFAULT 'added'"}},
	    {"pending table with a column added and dropped, in a transaction rolled back",
	     {"ALTER TABLE runstore.recent_workflow_pending ADD COLUMN fz_scratch int",
	      "ALTER TABLE runstore.recent_workflow_pending DROP COLUMN fz_scratch"},
	     Txn::kRolledBack},
	    {"pending table's user_id retyped to varchar(300)",
	     {kDropVerify, "ALTER TABLE runstore.recent_workflow_pending ALTER COLUMN user_id TYPE varchar(300)"},
	     Txn::kCommitted,
	     false},
	    {"folded table's group key in another column order",
	     {"ALTER TABLE runstore.recent_workflow_folded DROP CONSTRAINT recent_workflow_folded_group_key, "
	      "ADD UNIQUE NULLS NOT DISTINCT (user_id, workflow_id, workspace_id)"}},
	    {"pending and folded tables with a row trigger",
	     {"CREATE TRIGGER fz_audit AFTER INSERT OR UPDATE OR DELETE ON runstore.recent_workflow_pending "
	      "FOR EACH ROW EXECUTE FUNCTION public.runstore_fuzz_noop()",
	      "CREATE TRIGGER fz_audit AFTER INSERT OR UPDATE OR DELETE ON runstore.recent_workflow_folded "
	      "FOR EACH ROW EXECUTE FUNCTION public.runstore_fuzz_noop()"}},
	    // A unique index on id built concurrently over ids repeated across workspaces: it fails, and stays, invalid.
	    {"primary key (workspace_id, id), an invalid unique index on id left by CREATE INDEX CONCURRENTLY",
	     {key,
	      "INSERT INTO runstore.executions (id, workspace_id, workflow_id, user_id) SELECT e.id, -1, e.workflow_id, "
	      "e.user_id FROM runstore.executions e WHERE e.workspace_id = 0 ORDER BY e.id LIMIT 5",
	      "CREATE UNIQUE INDEX CONCURRENTLY fz_id_invalid ON runstore.executions (id)"},
	     Txn::kCommitted,
	     true,
	     "23505"},
	    // An index built while a snapshot older than some HOT updates of the
	    // indexed column is held: PostgreSQL marks it (indcheckxmin) unusable by
	    // that snapshot, whose rows it does not index under the keys they had.
	    {"index on id built while an older snapshot still sees HOT-updated ids (indcheckxmin)",
	     {"ALTER TABLE runstore.executions SET (fillfactor = 50)", "VACUUM FULL runstore.executions",
	      "ALTER TABLE runstore.executions DROP CONSTRAINT executions_pkey",
	      "DROP INDEX runstore.executions_id_idx, runstore.executions_claimable_idx, "
	      "runstore.executions_workflow_recent_idx, runstore.executions_user_workflow_recent_idx"},
	     Txn::kCommitted,
	     true,
	     nullptr,
	     {"UPDATE runstore.executions SET id = runstore.uuid_v7() WHERE workspace_id IN (0, -1, 1)",
	      "CREATE INDEX fz_id ON runstore.executions (id)",
	      "DO $fz$ BEGIN IF NOT (SELECT i.indcheckxmin FROM pg_index i WHERE i.indexrelid = "
	      "'runstore.fz_id'::regclass) "
	      "THEN RAISE EXCEPTION 'no broken HOT chain: indcheckxmin is off'; END IF; END $fz$"}},
	    // New relfilenodes, same shapes.
	    {"tables rewritten (REINDEX, CLUSTER, VACUUM FULL, SET UNLOGGED)",
	     {"REINDEX TABLE runstore.executions", "CLUSTER runstore.executions USING executions_pkey",
	      "VACUUM FULL runstore.recent_workflow_folded", "VACUUM FULL runstore.recent_workflow_pending",
	      "ALTER TABLE runstore.executions SET UNLOGGED", "ALTER TABLE runstore.recent_workflow_folded SET UNLOGGED",
	      "ALTER TABLE runstore.recent_workflow_pending SET UNLOGGED"}},
	    // A user moving to partitioning: the old table renamed away, a partitioned one under the name, the
	    // triggers recreated on it.  The functions still return the old table's row type.
	    {"executions replaced by a table partitioned by hash (workspace_id)",
	     {"ALTER TABLE runstore.executions RENAME TO executions_unpartitioned",
	      "CREATE TABLE runstore.executions (LIKE runstore.executions_unpartitioned INCLUDING DEFAULTS INCLUDING "
	      "CONSTRAINTS, PRIMARY KEY (workspace_id, id)) PARTITION BY HASH (workspace_id)",
	      "CREATE TABLE runstore.executions_p0 PARTITION OF runstore.executions FOR VALUES WITH (MODULUS 2, REMAINDER "
	      "0)",
	      "CREATE TABLE runstore.executions_p1 PARTITION OF runstore.executions FOR VALUES WITH (MODULUS 2, REMAINDER "
	      "1)",
	      "CREATE INDEX ON runstore.executions (id)",
	      "CREATE INDEX ON runstore.executions (priority DESC, run_after, id) WHERE status IN ('queued', 'running')",
	      "INSERT INTO runstore.executions SELECT * FROM runstore.executions_unpartitioned",
	      "CREATE TRIGGER fz_insert AFTER INSERT ON runstore.executions REFERENCING NEW TABLE AS runstore_new "
	      "FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
	      "CREATE TRIGGER fz_update AFTER UPDATE ON runstore.executions REFERENCING OLD TABLE AS runstore_old "
	      "NEW TABLE AS runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
	      "CREATE TRIGGER fz_delete AFTER DELETE ON runstore.executions REFERENCING OLD TABLE AS runstore_old "
	      "FOR EACH STATEMENT EXECUTE FUNCTION runstore._maintain_recent_workflows(); "
	      "CREATE TRIGGER fz_priorities_insert AFTER INSERT ON runstore.executions REFERENCING NEW TABLE AS "
	      "runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities(); "
	      "CREATE TRIGGER fz_priorities_update AFTER UPDATE ON runstore.executions REFERENCING NEW TABLE AS "
	      "runstore_new FOR EACH STATEMENT EXECUTE FUNCTION runstore._register_priorities()"},
	     Txn::kCommitted,
	     false},
	    // The views and verify_recent_workflows() read these columns: dropped first, as a user must.
	    {"folded columns retyped (last_used_at to timestamp, user_id to varchar)",
	     {kDropVerify, "ALTER TABLE runstore.recent_workflow_folded ALTER COLUMN last_used_at TYPE timestamp",
	      "ALTER TABLE runstore.recent_workflow_folded ALTER COLUMN user_id TYPE varchar(300)"},
	     Txn::kCommitted,
	     false},
	};
}

} // namespace fuzz
