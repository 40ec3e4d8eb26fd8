/*
 * direct_path_shapes.hpp: what runstore's direct paths require of a table,
 * proven before each use and cached per relation (PostgreSQL zone).
 *
 * A direct path does with heap and index access what an SQL statement kept
 * beside it defines (README "Direct paths"): get_executions_by_ids by index
 * probes, an INSERT's summary upkeep by appends to the pending table, the UPDATE check
 * by reading transition tables, dequeue's claim frontier by reading the
 * table's write locks.  Each assumes a shape: the columns it reads and their
 * types, the index it probes and its key columns, that the table is an
 * ordinary heap holding its rows (not partitioned, foreign, or distributed
 * by Citus, whose local table is an empty shell).  Here each shape is
 * checked once per relation and kept until PostgreSQL invalidates the
 * relation's cache entry (any ALTER TABLE, CREATE or DROP INDEX, trigger or
 * policy change, GRANT, Citus distributing or undistributing it, a rollback
 * of any of these), so a call pays a hash lookup.  When a shape does not
 * hold, the path's SQL statement runs: slower, never wrong.
 *
 * What depends on the caller (privileges, row-level security, the isolation
 * level) is checked by each path on every call; runstore.direct_paths = off
 * turns every direct path off.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/relcache.h"
}

#include "runstore/recent/transition_runs.hpp"

namespace runstore::pg {

/* Whether runstore.direct_paths is on (the default): otherwise every operation runs its SQL statement. */
bool DirectPathsOn();

/* The extension creates one index on the pending table; a few more are tolerated, each one written. */
constexpr int kMaxPendingTableIndexes = 8;
/* workspace_id, workflow_id, user_id, last_used_at, last_execution_id. */
constexpr int kPendingColumnCount = 5;

/*
 * What the direct paths need of runstore.executions (or the relation an
 * executions trigger fired on).  Each `no_*` field is nullptr when the
 * property holds, else why it does not (a constant string).
 */
struct ExecutionsShape {
	/* An ordinary, local heap table that holds its rows: every direct path needs it. */
	const char *not_local_heap;

	/* workspace_id, workflow_id, user_id, created_at, id with their types (transition-table readers). */
	const char *no_run_columns;
	RunColumns run_columns;

	/* A B-tree index whose first key column is id (uuid, default operator class), not partial. */
	const char *no_id_index;
	Oid id_index;                      /* a unique one on id alone if there is one: one row per probe */
	TransactionId id_index_check_xmin; /* built with broken HOT chains: usable by snapshots newer than this */

	/* A B-tree index whose first key columns are workspace_id (bigint) and id (uuid); InvalidOid: none. */
	Oid workspace_id_index;
	TransactionId workspace_id_index_check_xmin;
	AttrNumber workspace_id; /* bigint column workspace_id; InvalidAttrNumber: none of that type */

	/* Both runstore._register_priorities() triggers present and firing (the claim frontier's announcements). */
	const char *no_priority_triggers;

	uint64 generation;
};

/* An index a direct read scans in order, and the snapshots that may use it. */
struct ReadIndex {
	Oid index; /* InvalidOid: none of the shape the read needs */
	TransactionId check_xmin;
};

/* What the direct append and the direct read need of runstore.recent_workflow_pending. */
struct PendingTableShape {
	/* nullptr when a direct append gives what the SPI statement would, else why not. */
	const char *unusable;
	int nindexes;
	Oid indexes[kMaxPendingTableIndexes];

	/*
	 * recent_workflows() reads the pending rows by (workspace_id, workflow_id,
	 * last_used_at DESC, last_execution_id DESC), the statement's order; with
	 * the columns' numbers.  nullptr when the table and such an index exist.
	 */
	const char *no_read_index;
	ReadIndex read_index;
	AttrNumber workflow_id, user_id, last_used_at, last_execution_id;
	uint64 generation;
};

/*
 * What recent_workflows()' direct read needs of runstore.recent_workflow_folded:
 * an index in each scope's reading order (workspace_id[, user_id],
 * last_used_at DESC, workflow_id DESC, last_execution_id DESC), as the
 * statements order their rows, and the columns' numbers.
 */
struct FoldedTableShape {
	const char *no_workspace_index; /* nullptr when the workspace read can run directly */
	ReadIndex workspace_index;
	const char *no_user_index; /* likewise for a user's read */
	ReadIndex user_index;
	AttrNumber workflow_id, last_used_at, last_execution_id;
	uint64 generation;
};

/*
 * The shapes of `rel`, open and locked by the caller: computed on the first
 * call after the relation's cache entry was invalidated, then read from
 * this backend's cache.  Returned by value: a later invalidation does not
 * change a copy the caller is using.
 */
ExecutionsShape ExecutionsShapeOf(Relation rel);
PendingTableShape PendingTableShapeOf(Relation rel);
FoldedTableShape FoldedTableShapeOf(Relation rel);

/*
 * Whether no invalidation of `relid` arrived since a shape with this
 * generation was read.  A path that takes further locks after reading the
 * shape (opening an index processes pending invalidations) asks this before
 * relying on it, and runs the SQL statement otherwise.
 */
bool ShapeStillCurrent(Oid relid, uint64 generation);

/* Whether an index whose pg_index row has `check_xmin` may be used by this transaction's snapshots. */
bool IndexUsableBySnapshot(TransactionId check_xmin);

/* The index get_executions_by_ids probes, and how; index InvalidOid when the shape offers none. */
struct LookupProbe {
	Oid index;
	int nkeys;             /* 1: (id), 2: (workspace_id, id) */
	bool filter_workspace; /* an index on id alone, for a call with a workspace: compare each row's */
	const char *unusable;  /* why there is none (index InvalidOid), else nullptr */
};

/*
 * For a call with (`in_workspace`) or without a workspace: the
 * (workspace_id, id) index if the call has a workspace and there is one,
 * else the index led by id, provided this transaction's snapshots may use
 * it.  The shape's other properties (a local heap) are the caller's to
 * check.
 */
LookupProbe ChooseLookupProbe(const ExecutionsShape &shape, bool in_workspace);

/* Registers the relcache callback that forgets shapes; called once from _PG_init. */
void RegisterShapeInvalidation();

} // namespace runstore::pg
