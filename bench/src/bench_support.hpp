// bench_support.hpp: libpq plumbing and statistics shared by the benchmarks.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace bench {

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Conn connect(const std::string& conninfo);
// Runs SQL without parameters; throws std::runtime_error unless it succeeded.
Result exec(PGconn* c, const std::string& sql);
void prepare(PGconn* c, const char* name, const char* sql, int nparams, const Oid* types);
// Executes a prepared statement with binary parameters and binary results;
// returns the number of rows (or rows affected).  Throws on error.
long exec_prepared(PGconn* c, const char* name, const std::vector<std::string>& binary_params);

using Uuid16 = std::string;  // 16 raw bytes
std::string uuid_array_param(const Uuid16* first, std::size_t n);

double median(std::vector<double> v);

// "1,4,8" -> {1, 4, 8}; throws unless every item is a whole number from 1
// to `most`.
std::vector<int> int_list(const std::string& text, int most);

// A figure for a CSV row: six significant digits.
std::string num(double v);

// "unix socket" or "TCP": how `c` reaches the server, for a series' note.
std::string transport(PGconn* c);

// A benchmark's series for bench/charts.sh: a "# note" line saying how it
// was measured, a header, then one comma-separated row per measurement.
// With an empty path (no --csv) it writes nothing.
class Csv {
 public:
  Csv(const std::string& path, const std::string& note, const std::string& header);
  ~Csv();
  Csv(const Csv&) = delete;
  Csv& operator=(const Csv&) = delete;
  void row(const std::string& line);

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
};

using Clock = std::chrono::steady_clock;
inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace bench
