extension/src/fn_delete_many.o: extension/src/fn_delete_many.cpp \
 extension/include/runstore/pg/id_batch_query.hpp \
 extension/include/runstore/pg/spi_plan.hpp \
 extension/include/runstore/pg_boundary.hpp
extension/include/runstore/pg/id_batch_query.hpp:
extension/include/runstore/pg/spi_plan.hpp:
extension/include/runstore/pg_boundary.hpp:
