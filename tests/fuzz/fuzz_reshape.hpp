// fuzz_reshape.hpp: the reshape phase of the targeted generator
// (fuzz_calls --reshape); its cases are in fuzz_reshape_cases.cpp, the code
// that runs them in fuzz_reshape.cpp.
//
// It changes runstore.executions and the summary tables the way users change
// them (the index on id dropped, the key before 0.3.0 on id alone; extra
// indexes; columns added, dropped or retyped; triggers disabled), one case
// at a time on a freshly created extension, with the hostile calls fired in
// between, half with direct paths on and half off.  A direct path (heap and index
// access standing in for an SQL statement) proves the shape it needs and
// caches the proof per relation: a proof kept past a change would read an
// index or a column as something it no longer is, which crashes the backend
// or answers wrongly.  So a committed change is made by a second session after
// the fuzzing session has cached every shape (its backend learns of the change
// only from the shared invalidation queue); other cases change the tables
// inside the fuzzing session's own transaction and roll back, with calls
// before and after; one changes them under an older snapshot.  Oracles compare
// the answers with plain SQL after each change and at the end of each case.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_harness.hpp"
#include "fuzz_statements.hpp"

namespace fuzz {

enum class Txn {
	kCommitted,           // reshaped and committed, then the calls
	kRolledBack,          // calls inside the reshaping transaction, ROLLBACK, then calls
	kSavepointRolledBack, // reshaped after a savepoint, calls, ROLLBACK TO it, calls, COMMIT, then calls
};

struct ReshapeCase {
	std::string name;
	std::vector<std::string> ddl; // each must succeed: a case that could not reshape tests nothing
	Txn txn = Txn::kCommitted;
	// verify_recent_workflows() exists and must come back empty after the
	// calls: not when the columns it compares were retyped (it had to be
	// dropped), nor when the triggers that keep the summaries were disabled.
	bool summaries_exact = true;
	// The SQLSTATE the last statement fails with, leaving its trace behind
	// (a failed CREATE INDEX CONCURRENTLY leaves an invalid index); nullptr: it succeeds.
	const char *last_fails_with = nullptr;
	// Run by another session while the fuzzing session holds a REPEATABLE
	// READ snapshot taken after `ddl`; the lookups are checked in that
	// snapshot, then after it.
	std::vector<std::string> under_old_snapshot = {};
};

// The cases, in the order they run.
std::vector<ReshapeCase> ReshapeCases();

// --reshape: the cases of ReshapeCases() whose name contains `only` (all by
// default) until `seconds` have passed, then the extension as installed
// again.  Returns 2 on a set-up error, else the report's status.
int RunReshape(Session &s, Stats &st, Rng &rng, const Pools &pools, uint64_t seed, int calls_per_case, double seconds,
               const std::string &only, bool verbose, bool oracles_strict);

} // namespace fuzz
