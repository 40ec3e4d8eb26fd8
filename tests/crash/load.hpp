// load.hpp: the phases of the crash test that drive load (see load.cpp).
#pragma once

#include <atomic>
#include <string>

#include "common.hpp"

namespace crash {

struct Options {
  std::string journal_dir;  // where the journal files go (one per thread)
  std::string tag;          // names this phase's journal files and row tags, e.g. "c3"
  uint64_t seed = 1;
  int seconds = 20;  // load: stop by itself after this; resume: give up after this
  int inserters = 3;
  int workers = 4;
  std::atomic<bool>* stop = nullptr;
};

// Runs the mixed load until every client lost its connection (the server
// was killed) or the time is up.  0, or 3 if a client saw an unexpected error.
int run_load(const Options& opt);

// After a restart: workers reclaim the dead workers' claims and resume.
int run_resume(const Options& opt);

// Compares the database with every journal in the directory.
int run_check(const Options& opt);

}  // namespace crash
