/*
 * cpp_only.hpp: included last by every source file of the pure C++ zone
 * (src/core).  Those files may throw and use the standard library freely, and
 * so must never see a PostgreSQL header: ereport() there would skip
 * destructors, and PostgreSQL's macros (ERROR, foreach, Min, snprintf...)
 * collide with C++ names.  This assertion makes the rule a compile error.
 */
#pragma once

#ifdef POSTGRES_H
static_assert(false, "a pure C++ (core) file must not include PostgreSQL headers");
#endif
