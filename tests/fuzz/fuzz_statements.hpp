// fuzz_statements.hpp: what the hostile calls of the targeted generator
// (fuzz_calls.cpp) and of its reshape phase (fuzz_reshape.cpp) are made of: a
// seeded random source, pools of hostile argument values, the table of
// runstore's functions, the shapes a call is wrapped in, and hostile rows and
// trigger attachments.  The same seed draws the same calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fuzz {

// splitmix64: the same sequence on every platform and standard library.
class Rng {
public:
	explicit Rng(uint64_t seed) : state_(seed) {}
	uint64_t Next()
	{
		uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }
	bool Chance(double p) { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0) < p; }
	template <typename T> const T &Pick(const std::vector<T> &v) { return v[Below(v.size())]; }

private:
	uint64_t state_;
};

// Seeded ids: 300 "known" executions re-inserted now and then, so calls keep
// finding rows to read, delete, cancel and claim.
std::string KnownId(int n);

constexpr int kKnownIds = 300;

std::string Quote(const std::string &s);

// ---------------------------------------------------------------- value pools
struct Pools {
	std::vector<std::string> uuid;       // scalar uuid expressions
	std::vector<std::string> uuid_array; // uuid[] expressions
	std::vector<std::string> int4;
	std::vector<std::string> int8;
	std::vector<std::string> text; // worker names, tags, user ids, errors, modes
	std::vector<std::string> interval;
	std::vector<std::string> jsonb;
	std::vector<std::string> boolean;
	std::vector<std::string> int_array;
	std::vector<std::string> timeout_ms; // wait_for_work's timeout: hostile, but never a long wait
	std::vector<std::string> out_arg;    // what a CALL passes for an OUT parameter
};

Pools MakePools(Rng &rng);

// ---------------------------------------------------------------- functions
enum class T { Uuid, UuidArray, Int4, Int8, Text, Interval, Jsonb, Bool, IntArray, TimeoutMs, OutArg };

struct Param {
	const char *name;
	T type;
	bool has_default;
};

struct Function {
	const char *name;
	std::vector<Param> params;
	bool set_returning;
	bool callable;          // false: trigger functions, called directly only to see them refused
	bool procedure = false; // called with CALL (Wrap draws CALL shapes for it)
};

const std::vector<Function> &Functions();

// ---------------------------------------------------------------- statements
// Values that cost 0.1-1 s each (100k-element arrays, 1-10 MB strings, big
// JSON) are drawn a sixth as often as the others, so that a run of under a
// minute still makes thousands of calls.
bool Heavy(const std::string &v);

// One call of `fn`, its arguments drawn from `pools`, in a shape drawn too
// (a cursor, a savepoint, a prepared statement, another role...), named in *shape.
std::string Wrap(Rng &rng, const Pools &pools, const Function &fn, std::string *shape);

// Hostile rows and trigger attachments between calls.
std::vector<std::string> RowStatements();

} // namespace fuzz
