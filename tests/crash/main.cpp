// crash_load: the load generator, resume phase and checker of the crash test
// (tests/crash/run.sh drives it; see there).
//
//   crash_load load   --dir DIR --tag T [--seed N] [--seconds S] [--inserters N] [--workers N]
//   crash_load resume --dir DIR --tag T [--seed N] [--seconds S] [--workers N]
//   crash_load check  --dir DIR
//
// The server comes from the PG* environment variables.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "load.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: crash_load load|resume|check --dir DIR [--tag T] [--seed N] [--seconds S]"
                 " [--inserters N] [--workers N]"
              << std::endl;
    return 2;
  }
  std::atomic<bool> stop{false};
  crash::Options opt;
  opt.stop = &stop;
  std::string mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir")
      opt.journal_dir = v;
    else if (k == "--tag")
      opt.tag = v;
    else if (k == "--seed")
      opt.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--seconds")
      opt.seconds = std::atoi(v.c_str());
    else if (k == "--inserters")
      opt.inserters = std::atoi(v.c_str());
    else if (k == "--workers")
      opt.workers = std::atoi(v.c_str());
    else {
      std::cerr << "crash_load: unknown option " << k << std::endl;
      return 2;
    }
  }
  if (opt.journal_dir.empty() || (mode != "check" && opt.tag.empty())) {
    std::cerr << "crash_load: --dir and --tag are required" << std::endl;
    return 2;
  }
  if (mode == "load") return crash::run_load(opt);
  if (mode == "resume") return crash::run_resume(opt);
  if (mode == "check") return crash::run_check(opt);
  std::cerr << "crash_load: unknown mode " << mode << std::endl;
  return 2;
}
