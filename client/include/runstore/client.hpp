// runstore/client.hpp: one connection to a database with runstore installed.
//
//   runstore::Client db("dbname=app");          // or "" for the PG* environment
//   auto rows = db.get_executions_by_ids(ids);  // one round trip
//   auto gone = db.delete_many(ids);
//
// A Client owns one libpq connection and is not thread-safe: use one per
// thread (or a pool of them).  Parameters are always bound, never spliced into
// SQL text; results come back in binary and are decoded into value types.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runstore/errors.hpp"
#include "runstore/execution.hpp"
#include "runstore/uuid.hpp"

namespace runstore {

enum class StatementMode {
  // Each statement is prepared once per connection (PQprepare) and then only
  // executed: the server skips parsing and planning on every later call.
  prepared,
  // Each call sends its statement unnamed (PQexecParams).  Use this behind a
  // transaction-pooling pooler (PgBouncer pool_mode=transaction), where a
  // prepared statement may not exist on the next server connection.
  unnamed,
};

struct ClientOptions {
  // A libpq connection string or URI; empty means the PG* environment.
  std::string conninfo;
  StatementMode statement_mode = StatementMode::prepared;
};

class Client {
 public:
  explicit Client(const std::string& conninfo);
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // runstore.get_executions_by_ids: the executions with these ids, in the
  // order of first appearance; duplicates once, unknown ids omitted.  With a
  // workspace, executions of other workspaces are omitted too.  More ids than
  // runstore.max_batch_size raise Error with SQLSTATE 54000.
  [[nodiscard]] std::vector<Execution> get_executions_by_ids(
      const std::vector<Uuid>& ids, std::optional<std::int64_t> workspace_id = std::nullopt);

  // runstore.delete_many: deletes in one statement; returns the ids deleted,
  // in the order given.
  std::vector<Uuid> delete_many(const std::vector<Uuid>& ids,
                                std::optional<std::int64_t> workspace_id = std::nullopt);

  // The server's version number, e.g. 150018.
  [[nodiscard]] int server_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runstore
