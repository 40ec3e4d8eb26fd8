/*
 * trigger_call.cpp: see trigger_call.hpp.
 */
#include "runstore/pg/trigger_call.hpp"

namespace runstore::pg {

TriggerData *
RequireTriggerCall(FunctionCallInfo fcinfo, const char *function)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("%s must be called as a trigger", function)));
	return reinterpret_cast<TriggerData *>(fcinfo->context);
}

} // namespace runstore::pg
