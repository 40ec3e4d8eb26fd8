extension/src/fn_get_executions_by_ids.o: \
 extension/src/fn_get_executions_by_ids.cpp \
 extension/include/runstore/pg/id_batch_query.hpp \
 extension/include/runstore/pg/spi_plan.hpp \
 extension/include/runstore/pg_boundary.hpp
extension/include/runstore/pg/id_batch_query.hpp:
extension/include/runstore/pg/spi_plan.hpp:
extension/include/runstore/pg_boundary.hpp:
