// enqueue_statement.hpp: the INSERT behind Client::enqueue, shaped by the
// batch.
//
// A batch sends only the columns some execution in it sets: an array per
// column (ROWS FROM over unnest), and the workspace once when every
// execution has the same one.  The columns it leaves out take the table's
// defaults.  Each shape is its own statement (prepared under a name that
// says the shape); there are at most 2^9 of them, and a program uses few.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "statement.hpp"

namespace runstore::detail {

struct EnqueueShape {
  bool one_workspace = false;  // workspace_id sent once ($2, int8), not as an array
  bool workflow = false, user = false, tags = false, payload = false, priority = false, max_attempts = false,
       run_after = false;
  // ON CONFLICT DO NOTHING: skips ids already stored (a retry after a lost
  // reply, ids given twice); a speculative insertion per row, so only then.
  bool skip_stored = false;

  [[nodiscard]] unsigned key() const;
};

// The statement's text.  Parameters: $1 uuid[] ids, $2 the workspace
// (int8, or int8[] unless one_workspace), then one array per column the
// shape sends, in the order of the fields above.
std::string enqueue_sql(const EnqueueShape& shape);

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
