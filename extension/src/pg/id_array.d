extension/src/pg/id_array.o: extension/src/pg/id_array.cpp \
 extension/include/runstore/pg/guc.hpp \
 extension/include/runstore/pg/id_array.hpp \
 extension/include/runstore/core/uuid.hpp
extension/include/runstore/pg/guc.hpp:
extension/include/runstore/pg/id_array.hpp:
extension/include/runstore/core/uuid.hpp:
