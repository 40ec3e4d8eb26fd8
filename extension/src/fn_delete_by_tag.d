extension/src/fn_delete_by_tag.o: extension/src/fn_delete_by_tag.cpp \
 extension/include/runstore/pg/spi_plan.hpp \
 extension/include/runstore/pg_boundary.hpp
extension/include/runstore/pg/spi_plan.hpp:
extension/include/runstore/pg_boundary.hpp:
