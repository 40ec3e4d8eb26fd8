// enqueue_statement.hpp: the INSERT behind Client::enqueue, shaped by the
// batch.
//
// A batch sends only the columns some execution in it sets: an array per
// column (unnested in a SELECT list), and the workspace once when every
// execution has the same one.  The columns it leaves out take the table's
// defaults.  Each shape is its own statement (prepared under a name that
// says the shape); there are at most 2^10 of them, and a program uses few.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <vector>

#include "params.hpp"
#include "runstore/queue_types.hpp"
#include "runstore/uuid.hpp"
#include "statement.hpp"

namespace runstore::detail {

struct EnqueueShape {
  bool one_workspace = false;  // workspace_id sent once ($2, int8), not as an array
  bool workflow = false, user = false, tags = false, payload = false, priority = false, max_attempts = false,
       run_after = false;
  // ON CONFLICT DO NOTHING: skips ids already stored (a retry after a lost
  // reply, ids given twice); a speculative insertion per row, so only then.
  bool skip_stored = false;
  // One execution: INSERT … VALUES with one parameter per column, no arrays.
  bool single = false;

  [[nodiscard]] unsigned key() const;
};

// The statement's text.  Parameters: $1 uuid[] ids, $2 the workspace
// (int8, or int8[] unless one_workspace), then one array per column the
// shape sends, in the order of the fields above; `single`: the same, each a
// value instead of an array (tags a text[]).
std::string enqueue_sql(const EnqueueShape& shape);

// The statement's parameters for `executions` (ids[i] for executions[i]):
// parallel arrays, one element per execution, in the statement's order.
Params enqueue_params(const EnqueueShape& shape, const std::vector<NewExecution>& executions,
                      const std::vector<Uuid>& ids);

// The statements of the shapes met so far, made on first use.
class EnqueueStatements {
 public:
  const Statement& get(const EnqueueShape& shape);

 private:
  struct Owned {
    std::string name, sql;
    Statement statement;
  };
  std::map<unsigned, std::unique_ptr<Owned>> made_;
};

}  // namespace runstore::detail
