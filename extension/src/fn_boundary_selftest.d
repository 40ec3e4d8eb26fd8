extension/src/fn_boundary_selftest.o: \
 extension/src/fn_boundary_selftest.cpp \
 extension/include/runstore/pg_boundary.hpp
extension/include/runstore/pg_boundary.hpp:
