extension/src/core/first_appearance.o: \
 extension/src/core/first_appearance.cpp \
 extension/include/runstore/core/first_appearance.hpp \
 extension/include/runstore/core/uuid.hpp \
 extension/include/runstore/core/cpp_only.hpp
extension/include/runstore/core/first_appearance.hpp:
extension/include/runstore/core/uuid.hpp:
extension/include/runstore/core/cpp_only.hpp:
