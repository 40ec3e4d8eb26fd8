// enqueue_copy.hpp: a large batch of Client::enqueue as one COPY … FROM
// STDIN in PostgreSQL's binary format.
//
// Why: COPY inserts a batch with one heap write (and one WAL record) per
// page where INSERT … SELECT writes one per row; at 20,000 executions it
// takes about half the time of the plain INSERT … FROM unnest.  It costs
// one more round trip than a prepared INSERT, so small batches stay with
// the INSERT (enqueue_statement.hpp).
//
// What COPY cannot do, and the INSERT does:
// - take a column's default for one row while others set it: a COPY field
//   is a value or NULL.  A batch goes by COPY only if each of priority,
//   max_attempts and run_after is set by every execution or by none (tags
//   left empty are sent as '{}', which is what an execution without tags
//   has; workflow, user and payload are NULL when unset, as their default);
// - skip ids already stored (ON CONFLICT DO NOTHING): a retry after a lost
//   reply, and a batch that meets a stored id, go by the INSERT that skips;
// - run under row-level security (the server refuses COPY FROM with 0A000),
//   or convert a value into a column whose type was changed (binary COPY
//   reads each field as the column's own type: 22P03): the client then uses
//   the INSERT for the rest of its life.
// An execution's run_after, unset, is the table's default: the statement's
// start, which for COPY (its own transaction) is also created_at's now().
#pragma once

#include <string>
#include <vector>

#include "enqueue_statement.hpp"
#include "runstore/queue_types.hpp"
#include "runstore/uuid.hpp"

namespace runstore::detail {

// Batches from this size go by COPY when copy_can_send allows it.
inline constexpr std::size_t kEnqueueCopyFrom = 64;

// Whether every column of `shape` can be sent for `executions` without a
// per-row default (see above).
bool copy_can_send(const EnqueueShape& shape, const std::vector<NewExecution>& executions);

// COPY runstore.executions (the shape's columns) FROM STDIN (FORMAT binary).
std::string copy_sql(const EnqueueShape& shape);

// The COPY data: header, one tuple per execution (ids[i] for executions[i]),
// trailer.
std::string copy_data(const EnqueueShape& shape, const std::vector<NewExecution>& executions,
                      const std::vector<Uuid>& ids);

}  // namespace runstore::detail
