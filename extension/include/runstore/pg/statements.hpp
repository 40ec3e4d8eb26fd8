/*
 * statements.hpp: every SQL statement runstore's C++ runs, in one place
 * (PostgreSQL zone).
 *
 * Each is a KeptPlan: prepared once per backend on first use.  The texts
 * schema-qualify every table, function and operator, so a caller's
 * search_path cannot redirect them.  runstore._statement_text(name) returns
 * a text by name, so sql/plans.sql checks the plans of the very statements
 * the functions run.
 */
#pragma once

#include "runstore/pg/spi_plan.hpp"

namespace runstore::pg::statements {

/* get_executions_by_ids: $1 uuid[] (and $2 bigint workspace_id). */
extern KeptPlan select_by_ids;
extern KeptPlan select_by_ids_in_workspace;
/* delete_many: $1 uuid[] (and $2 bigint workspace_id). */
extern KeptPlan delete_by_ids;
extern KeptPlan delete_by_ids_in_workspace;
/* delete_by_tag, one round: $1 text tag, $2 int limit (and $3 bigint workspace_id). */
extern KeptPlan delete_by_tag;
extern KeptPlan delete_by_tag_in_workspace;

/* The kept plan named `name` (as above), or nullptr. */
KeptPlan *Find(const char *name);

} // namespace runstore::pg::statements
