/*
 * trigger_call.hpp: the first check of every trigger function (PostgreSQL zone).
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
}

namespace runstore::pg {

/*
 * The call's TriggerData, or ERROR 39P01 ("<function> must be called as a
 * trigger") when the function was called directly: its arguments would not
 * be a TriggerData, and reading them as one would crash the backend.
 */
TriggerData *RequireTriggerCall(FunctionCallInfo fcinfo, const char *function);

} // namespace runstore::pg
