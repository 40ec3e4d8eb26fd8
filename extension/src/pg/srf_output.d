extension/src/pg/srf_output.o: extension/src/pg/srf_output.cpp \
 extension/include/runstore/pg/srf_output.hpp \
 extension/include/runstore/core/uuid.hpp
extension/include/runstore/pg/srf_output.hpp:
extension/include/runstore/core/uuid.hpp:
