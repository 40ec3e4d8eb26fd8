/*
 * advisory_keys.hpp: every advisory lock runstore takes, in one place
 * (PostgreSQL zone).  Each is a two-int4 key as pg_advisory_lock(int4, int4)
 * spells it, so it shows in pg_locks (classid, objid) and a session can take
 * it from SQL: the first int4 is "runs", the second names the purpose.
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lock.h"
}

namespace runstore::pg {

/* "runs": the first key of every runstore advisory lock (1920298611). */
constexpr uint32 kRunsKey = 0x72756e73;

/* The second keys (ASCII spelled as a big-endian int4). */
constexpr uint32 kFoldKey = 0x666f6c64;       /* "fold" 1718578276: one fold at a time */
constexpr uint32 kWaitersKey = 0x77616974;    /* "wait" 2002872692: workers in wait_for_work */
constexpr uint32 kFoldWorkerKey = 0x62676664; /* "bgfd" 1650943588: the database's fold worker */
constexpr uint32 kHandOffKey = 0x68616e64;    /* "hand" 1751215716: writers that handed their fold over */

/* The lock tag of (key1, key2) in this database, as pg_advisory_lock(key1, key2) makes it. */
inline LOCKTAG
AdvisoryKey(uint32 key1, uint32 key2)
{
	LOCKTAG tag;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, key1, key2, 2); /* field4 2: two int4 keys */
	return tag;
}

} // namespace runstore::pg
