// status_example: prints the status of the executions named on the command
// line, in one round trip.  Connects with the PG* environment variables.
//
//   runstore_status_example 0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6 ...
#include <iostream>
#include <vector>

#include "runstore/client.hpp"

int main(int argc, char** argv) {
  try {
    std::vector<runstore::Uuid> ids;
    for (int i = 1; i < argc; ++i) ids.push_back(runstore::Uuid::parse(argv[i]));
    runstore::Client db("");
    for (const auto& e : db.get_executions_by_ids(ids)) {
      std::cout << e.id.to_string() << '\t' << runstore::to_string(e.status) << '\n';
    }
    return 0;
  } catch (const runstore::Error& e) {
    std::cerr << "runstore_status_example: " << e.what() << " (SQLSTATE " << e.sqlstate() << ")\n";
  } catch (const std::exception& e) {
    std::cerr << "runstore_status_example: " << e.what() << '\n';
  }
  return 1;
}
