// execution.cpp: execution_status labels.
#include "runstore/execution.hpp"

#include <stdexcept>
#include <string>

namespace runstore {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::queued:
      return "queued";
    case Status::running:
      return "running";
    case Status::succeeded:
      return "succeeded";
    case Status::failed:
      return "failed";
    case Status::cancelled:
      return "cancelled";
  }
  return "unknown";
}

Status parse_status(std::string_view label) {
  for (Status s : {Status::queued, Status::running, Status::succeeded, Status::failed, Status::cancelled}) {
    if (to_string(s) == label) return s;
  }
  throw std::invalid_argument("unknown execution status \"" + std::string(label) + "\"");
}

}  // namespace runstore
