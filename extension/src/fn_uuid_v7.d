extension/src/fn_uuid_v7.o: extension/src/fn_uuid_v7.cpp \
 /usr/include/postgresql/internal/port.h \
 extension/include/runstore/core/uuid_v7.hpp \
 extension/include/runstore/core/uuid.hpp \
 extension/include/runstore/pg_boundary.hpp
/usr/include/postgresql/internal/port.h:
extension/include/runstore/core/uuid_v7.hpp:
extension/include/runstore/core/uuid.hpp:
extension/include/runstore/pg_boundary.hpp:
