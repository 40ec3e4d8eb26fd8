/*
 * statements.cpp: see statements.hpp.
 */
extern "C" {
#include "postgres.h"

#include "catalog/pg_type_d.h"
}

#include <cstring>

#include "runstore/pg/statements.hpp"

/* SQL text laid out by hand: clang-format would break it mid-clause. */
/* clang-format off */
namespace runstore::pg::statements {

/*
 * The query an application would write by hand, so it gets the same plan: one
 * primary-key index scan over the array.  The caller's order is restored in
 * C++ (ordered_receiver.cpp), which costs less than joining against
 * unnest(...) WITH ORDINALITY: that is a nested loop with one index rescan per
 * id, measured 0.77x as fast as = ANY at 500 ids (bench/).
 */
#define RUNSTORE_SELECT_BY_IDS_SQL(condition)                                                        \
	"SELECT x.* FROM runstore.executions x"                                                          \
	" WHERE x.id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.uuid[])" condition

KeptPlan select_by_ids = {RUNSTORE_SELECT_BY_IDS_SQL(""), 1, kArgTypes<UUIDARRAYOID>, nullptr};
KeptPlan select_by_ids_in_workspace = {RUNSTORE_SELECT_BY_IDS_SQL(" AND x.workspace_id OPERATOR(pg_catalog.=) $2"), 2,
    kArgTypes<UUIDARRAYOID, INT8OID>, nullptr};

/* RETURNING x.id: the ordered receiver puts the ids in the caller's order. */
#define RUNSTORE_DELETE_BY_IDS_SQL(condition)                                                        \
	"DELETE FROM runstore.executions x"                                                              \
	" WHERE x.id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.uuid[])" condition                      \
	" RETURNING x.id"

KeptPlan delete_by_ids = {RUNSTORE_DELETE_BY_IDS_SQL(""), 1, kArgTypes<UUIDARRAYOID>, nullptr};
KeptPlan delete_by_ids_in_workspace = {RUNSTORE_DELETE_BY_IDS_SQL(" AND x.workspace_id OPERATOR(pg_catalog.=) $2"), 2,
    kArgTypes<UUIDARRAYOID, INT8OID>, nullptr};

/*
 * One round of delete_by_tag: choose up to $2 oldest tagged rows, delete them,
 * and report how many were chosen (column "chosen", present even when nothing
 * was deleted, as one row with a NULL id).  No FOR UPDATE: it would demand
 * UPDATE privilege, and delete_by_tag must ask for exactly what a plain DELETE
 * asks for.  The DELETE re-checks the tag (and workspace), so a row whose tags
 * changed concurrently is not deleted.  `tags <> '{}'` is the predicate of
 * the partial GIN index on tags (a run with the tag is never untagged): it
 * lets the planner use that index.
 */
#define RUNSTORE_DELETE_BY_TAG_SQL(condition)                                                       \
	"WITH chosen AS MATERIALIZED ("                                                                 \
	"  SELECT e.id FROM runstore.executions e"                                                      \
	"  WHERE e.tags OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[]"                            \
	"  AND e.tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.text[]" condition("e")                    \
	"  ORDER BY e.created_at, e.id LIMIT $2),"                                                      \
	" deleted AS ("                                                                                 \
	"  DELETE FROM runstore.executions x"                                                           \
	"  WHERE x.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT c.id FROM chosen c))"                    \
	"  AND x.tags OPERATOR(pg_catalog.@>) ARRAY[$1]::pg_catalog.text[]" condition("x")              \
	"  RETURNING x.id, x.created_at)"                                                              \
	" SELECT d.id, n.chosen FROM (SELECT pg_catalog.count(*) AS chosen FROM chosen) n"              \
	" LEFT JOIN deleted d ON true ORDER BY d.created_at, d.id"
#define RUNSTORE_NO_CONDITION(alias) ""
#define RUNSTORE_IN_WORKSPACE(alias) " AND " alias ".workspace_id OPERATOR(pg_catalog.=) $3"

KeptPlan delete_by_tag = {RUNSTORE_DELETE_BY_TAG_SQL(RUNSTORE_NO_CONDITION), 2, kArgTypes<TEXTOID, INT4OID>, nullptr};
KeptPlan delete_by_tag_in_workspace = {RUNSTORE_DELETE_BY_TAG_SQL(RUNSTORE_IN_WORKSPACE), 3,
    kArgTypes<TEXTOID, INT4OID, INT8OID>, nullptr};

KeptPlan *
Find(const char *name)
{
	struct Named {
		const char *name;
		KeptPlan *plan;
	};
	static const Named kAll[] = {
	    {"select_by_ids", &select_by_ids},
	    {"select_by_ids_in_workspace", &select_by_ids_in_workspace},
	    {"delete_by_ids", &delete_by_ids},
	    {"delete_by_ids_in_workspace", &delete_by_ids_in_workspace},
	    {"delete_by_tag", &delete_by_tag},
	    {"delete_by_tag_in_workspace", &delete_by_tag_in_workspace},
	    {"update_changes_groups", &update_changes_groups},
	    {"append_inserted", &append_inserted},
	    {"mark_deleted", &mark_deleted},
	    {"change_updated", &change_updated},
	    {"fold_recent", &fold_recent},
	    {"truncate_recent", &truncate_recent},
	    {"recent_in_workspace", &recent_in_workspace},
	    {"recent_for_user", &recent_for_user},
	    {"pending_in_workspace", &pending_in_workspace},
	    {"pending_for_user", &pending_for_user},
	    {"latest_in_workflow", &latest_in_workflow},
	    {"latest_for_user", &latest_for_user},
	    {"routed_recent_in_workspace", &routed_recent_in_workspace},
	    {"routed_recent_for_user", &routed_recent_for_user},
	    {"dequeue", &dequeue},
	    {"dequeue_from_frontiers", &dequeue_from_frontiers},
	    {"queue_priorities", &queue_priorities},
	    {"register_priorities", &register_priorities},
	    {"listed_priorities", &listed_priorities},
	    {"heartbeat", &heartbeat},
	    {"heartbeat_attempts", &heartbeat_attempts},
	    {"complete", &complete},
	    {"complete_attempt", &complete_attempt},
	    {"fail", &fail},
	    {"fail_attempt", &fail_attempt},
	    {"complete_many", &complete_many},
	    {"fail_many", &fail_many},
	    {"release_many", &release_many},
	    {"cancel", &cancel},
	    {"cancel_in_workspace", &cancel_in_workspace},
	};
	for (const Named &n : kAll) {
		if (std::strcmp(n.name, name) == 0)
			return n.plan;
	}
	return nullptr;
}

/* clang-format on */
} // namespace runstore::pg::statements
