// table_format.hpp: aligned plain-text tables for people (scripts use --json).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace runstore::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Cells are made one-line and valid UTF-8 here: they may hold anything a
  // job wrote into its error.
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;
  [[nodiscard]] bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace runstore::cli
