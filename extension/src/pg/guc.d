extension/src/pg/guc.o: extension/src/pg/guc.cpp \
 extension/include/runstore/pg/guc.hpp
extension/include/runstore/pg/guc.hpp:
