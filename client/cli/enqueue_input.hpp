// enqueue_input.hpp: one JSON line of `runstore enqueue --stdin` as a
// NewExecution, checked field by field so a bad line is refused before
// anything of its batch reaches the server.
#pragma once

#include <stdexcept>
#include <string>

#include "runstore/queue_types.hpp"

namespace runstore::cli {

// What is wrong with a line (without the line number: the caller adds it).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// {"workspace_id": 1, "workflow_id": 2, "user_id": "u", "tags": ["a"],
//  "payload": {...}, "priority": 0, "max_attempts": 3, "id": "uuid"}
// workspace_id is required; every other key is optional and may be null.
// Unknown keys are refused: a typo ("tag") must not silently drop data.
NewExecution parse_execution_line(const std::string& line);

// True for a line of blanks only (skipped, but still counted).
bool is_blank(const std::string& line);

}  // namespace runstore::cli
