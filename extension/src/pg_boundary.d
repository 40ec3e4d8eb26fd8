extension/src/pg_boundary.o: extension/src/pg_boundary.cpp \
 extension/include/runstore/pg_boundary.hpp
extension/include/runstore/pg_boundary.hpp:
