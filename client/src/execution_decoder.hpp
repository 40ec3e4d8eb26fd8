// execution_decoder.hpp: rows of runstore.executions (binary) -> Execution.
//
// Columns are found by name once per result, so a column the extension adds
// later, or a different column order, does not break an older client.
#pragma once

#include <libpq-fe.h>

#include <vector>

#include "runstore/execution.hpp"

namespace runstore::detail {

std::vector<Execution> decode_executions(const PGresult* r);

}  // namespace runstore::detail
