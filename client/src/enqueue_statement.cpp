// enqueue_statement.cpp: see enqueue_statement.hpp.
#include "enqueue_statement.hpp"

#include <optional>

#include "json_text.hpp"

namespace runstore::detail {

unsigned EnqueueShape::key() const {
  const bool bits[] = {one_workspace, workflow,     user,      tags,        payload,
                       priority,      max_attempts, run_after, skip_stored, single};
  unsigned k = 0;
  for (bool b : bits) k = (k << 1U) | (b ? 1U : 0U);
  return k;
}

std::string enqueue_sql(const EnqueueShape& shape) {
  std::string columns = "id, workspace_id";
  std::string values, unnests;
  if (shape.single) {
    values = "$1::pg_catalog.uuid, $2::pg_catalog.int8";
  } else {
    values = "n.id, ";
    unnests = "pg_catalog.unnest($1::pg_catalog.uuid[]) AS id";
    if (shape.one_workspace) {
      values += "$2::pg_catalog.int8";
    } else {
      values += "n.workspace_id";
      unnests += ", pg_catalog.unnest($2::pg_catalog.int8[]) AS workspace_id";
    }
  }
  int next = 3;
  // One sent column.  A batch: its array unnested in the inner SELECT list,
  // `value` in the outer one.  One execution: its value as a parameter.
  const auto add = [&](bool sent, const char* column, const char* type, const std::string& value) {
    if (!sent) return;
    const std::string param = "$" + std::to_string(next++);
    columns += std::string(", ") + column;
    if (shape.single) {
      values += ", " + param + "::" + type;
      return;
    }
    values += ", " + value;
    unnests += ", pg_catalog.unnest(" + param + "::" + type + "[]) AS " + column;
  };
  add(shape.workflow, "workflow_id", "pg_catalog.int8", "n.workflow_id");
  add(shape.user, "user_id", "pg_catalog.text", "n.user_id");
  // Tags travel as a JSON array per execution in a batch (a text[][] must be
  // rectangular; an execution without tags sends NULL: no subquery), and as
  // the text[] itself for one execution.
  if (shape.single) {
    add(shape.tags, "tags", "pg_catalog.text[]", "");
  } else {
    add(shape.tags, "tags", "pg_catalog.jsonb",
        "CASE WHEN n.tags IS NULL THEN '{}'::pg_catalog.text[]"
        " ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text(n.tags)) END");
  }
  add(shape.payload, "payload", "pg_catalog.jsonb", "n.payload");
  // A NULL element (an execution that leaves it unset among others that
  // set it) takes the table's default.  One execution sends only what it sets.
  add(shape.priority, "priority", "pg_catalog.int4", "COALESCE(n.priority, 0)");
  add(shape.max_attempts, "max_attempts", "pg_catalog.int4", "COALESCE(n.max_attempts, 3)");
  add(shape.run_after, "run_after", "pg_catalog.timestamptz", "COALESCE(n.run_after, pg_catalog.now())");
  // Due from the transaction's start, as created_at (the table's default,
  // statement_timestamp(), can come later within it).
  if (!shape.run_after) {
    columns += ", run_after";
    values += ", pg_catalog.now()";
  }
  // Set-returning functions in a SELECT list run in lockstep (a shorter
  // array reads as NULLs, as ROWS FROM would), row by row: no tuplestore
  // per array, which ROWS FROM fills before the first row is inserted.
  std::string sql = "INSERT INTO runstore.executions (" + columns + ")";
  sql += shape.single ? " VALUES (" + values + ")" : " SELECT " + values + " FROM (SELECT " + unnests + ") AS n";
  if (shape.skip_stored) sql += " ON CONFLICT DO NOTHING";
  return sql;
}

namespace {

// One execution's parameters, for the VALUES form.
Params single_params(const EnqueueShape& shape, const NewExecution& e, const Uuid& id) {
  Params p;
  p.uuid(id).int8(e.workspace_id);
  if (shape.workflow) p.int8(*e.workflow_id);
  if (shape.user) p.text(*e.user_id);
  if (shape.tags) p.array(oid::kTextArray, oid::kText, {e.tags.begin(), e.tags.end()});
  if (shape.payload) p.jsonb(*e.payload);
  if (shape.priority) p.int4(*e.priority);
  if (shape.max_attempts) p.int4(*e.max_attempts);
  if (shape.run_after) p.timestamptz(*e.run_after);
  return p;
}

}  // namespace

Params enqueue_params(const EnqueueShape& shape, const std::vector<NewExecution>& executions,
                      const std::vector<Uuid>& ids) {
  if (shape.single) return single_params(shape, executions.front(), ids.front());
  // Parallel arrays, one element per execution, in the statement's order.
  using Column = std::vector<std::optional<std::string>>;
  Column id_col, workspace_col, workflow_col, user_col, tags_col, payload_col, priority_col, max_attempts_col,
      run_after_col;
  for (std::size_t i = 0; i < executions.size(); ++i) {
    const NewExecution& e = executions[i];
    const Uuid& id = ids[i];
    id_col.emplace_back(std::string(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()));
    if (!shape.one_workspace) workspace_col.emplace_back(binary_int8(e.workspace_id));
    if (shape.workflow)
      workflow_col.push_back(
          optional_binary(e.workflow_id.has_value(), e.workflow_id ? binary_int8(*e.workflow_id) : ""));
    if (shape.user) user_col.push_back(e.user_id);
    if (shape.tags)
      tags_col.push_back(
          optional_binary(!e.tags.empty(), e.tags.empty() ? "" : binary_jsonb(json_string_array(e.tags))));
    if (shape.payload)
      payload_col.push_back(optional_binary(e.payload.has_value(), e.payload ? binary_jsonb(*e.payload) : ""));
    if (shape.priority)
      priority_col.push_back(optional_binary(e.priority.has_value(), e.priority ? binary_int4(*e.priority) : ""));
    if (shape.max_attempts)
      max_attempts_col.push_back(
          optional_binary(e.max_attempts.has_value(), e.max_attempts ? binary_int4(*e.max_attempts) : ""));
    if (shape.run_after)
      run_after_col.push_back(
          optional_binary(e.run_after.has_value(), e.run_after ? binary_timestamptz(*e.run_after) : ""));
  }
  Params p;
  p.array(oid::kUuidArray, oid::kUuid, id_col);
  if (shape.one_workspace) {
    p.int8(executions.front().workspace_id);
  } else {
    p.array(oid::kInt8Array, oid::kInt8, workspace_col);
  }
  if (shape.workflow) p.array(oid::kInt8Array, oid::kInt8, workflow_col);
  if (shape.user) p.array(oid::kTextArray, oid::kText, user_col);
  if (shape.tags) p.array(oid::kJsonbArray, oid::kJsonb, tags_col);
  if (shape.payload) p.array(oid::kJsonbArray, oid::kJsonb, payload_col);
  if (shape.priority) p.array(oid::kInt4Array, oid::kInt4, priority_col);
  if (shape.max_attempts) p.array(oid::kInt4Array, oid::kInt4, max_attempts_col);
  if (shape.run_after) p.array(oid::kTimestamptzArray, oid::kTimestamptz, run_after_col);
  return p;
}

const Statement& EnqueueStatements::get(const EnqueueShape& shape) {
  const unsigned key = shape.key();
  auto it = made_.find(key);
  if (it == made_.end()) {
    auto owned = std::make_unique<Owned>();
    owned->name = "runstore_enqueue_v4_" + std::to_string(key);
    owned->sql = enqueue_sql(shape);
    owned->statement = Statement{owned->name.c_str(), owned->sql.c_str()};
    it = made_.emplace(key, std::move(owned)).first;
  }
  return it->second->statement;
}

}  // namespace runstore::detail
