extension/src/core/uuid_v7.o: extension/src/core/uuid_v7.cpp \
 extension/include/runstore/core/uuid_v7.hpp \
 extension/include/runstore/core/uuid.hpp \
 extension/include/runstore/core/cpp_only.hpp
extension/include/runstore/core/uuid_v7.hpp:
extension/include/runstore/core/uuid.hpp:
extension/include/runstore/core/cpp_only.hpp:
