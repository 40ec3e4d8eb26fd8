// enqueue_statement.cpp: see enqueue_statement.hpp.
#include "enqueue_statement.hpp"

namespace runstore::detail {

unsigned EnqueueShape::key() const {
  const bool bits[] = {one_workspace, workflow, user, tags, payload, priority, max_attempts, run_after, skip_stored};
  unsigned k = 0;
  for (bool b : bits) k = (k << 1U) | (b ? 1U : 0U);
  return k;
}

std::string enqueue_sql(const EnqueueShape& shape) {
  std::string columns = "id, workspace_id";
  std::string values = "n.id, ";
  std::string unnests = "pg_catalog.unnest($1::pg_catalog.uuid[])";
  std::string names = "id";
  int next = 3;
  if (shape.one_workspace) {
    values += "$2::pg_catalog.int8";
  } else {
    values += "n.workspace_id";
    unnests += ", pg_catalog.unnest($2::pg_catalog.int8[])";
    names += ", workspace_id";
  }
  // One sent column: its array in ROWS FROM, its value in the SELECT list.
  const auto add = [&](bool sent, const char* column, const char* array_type, const std::string& value) {
    if (!sent) return;
    const std::string param = "$" + std::to_string(next++);
    columns += std::string(", ") + column;
    values += ", " + value;
    unnests += ", pg_catalog.unnest(" + param + "::" + array_type + ")";
    names += std::string(", ") + column;
  };
  add(shape.workflow, "workflow_id", "pg_catalog.int8[]", "n.workflow_id");
  add(shape.user, "user_id", "pg_catalog.text[]", "n.user_id");
  // Tags travel as a JSON array per execution (a text[][] must be
  // rectangular); an execution without tags sends NULL: no subquery.
  add(shape.tags, "tags", "pg_catalog.jsonb[]",
      "CASE WHEN n.tags IS NULL THEN '{}'::pg_catalog.text[]"
      " ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text(n.tags)) END");
  add(shape.payload, "payload", "pg_catalog.jsonb[]", "n.payload");
  // A NULL element (an execution that leaves it unset among others that
  // set it) takes the table's default.
  add(shape.priority, "priority", "pg_catalog.int4[]", "COALESCE(n.priority, 0)");
  add(shape.max_attempts, "max_attempts", "pg_catalog.int4[]", "COALESCE(n.max_attempts, 3)");
  add(shape.run_after, "run_after", "pg_catalog.timestamptz[]", "COALESCE(n.run_after, pg_catalog.now())");
  // Due from the transaction's start, as created_at (the table's default,
  // statement_timestamp(), can come later within it).
  if (!shape.run_after) {
    columns += ", run_after";
    values += ", pg_catalog.now()";
  }
  std::string sql = "INSERT INTO runstore.executions (" + columns + ") SELECT " + values + " FROM ROWS FROM (" +
                    unnests + ") AS n(" + names + ")";
  if (shape.skip_stored) sql += " ON CONFLICT DO NOTHING";
  return sql;
}

const Statement& EnqueueStatements::get(const EnqueueShape& shape) {
  const unsigned key = shape.key();
  auto it = made_.find(key);
  if (it == made_.end()) {
    auto owned = std::make_unique<Owned>();
    owned->name = "runstore_enqueue_v3_" + std::to_string(key);
    owned->sql = enqueue_sql(shape);
    owned->statement = Statement{owned->name.c_str(), owned->sql.c_str()};
    it = made_.emplace(key, std::move(owned)).first;
  }
  return it->second->statement;
}

}  // namespace runstore::detail
