extension/src/runstore.o: extension/src/runstore.cpp \
 extension/include/runstore/pg/guc.hpp
extension/include/runstore/pg/guc.hpp:
