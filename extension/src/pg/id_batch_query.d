extension/src/pg/id_batch_query.o: extension/src/pg/id_batch_query.cpp \
 extension/include/runstore/core/first_appearance.hpp \
 extension/include/runstore/core/uuid.hpp \
 extension/include/runstore/pg/id_array.hpp \
 extension/include/runstore/pg/id_batch_query.hpp \
 extension/include/runstore/pg/spi_plan.hpp \
 extension/include/runstore/pg/srf_output.hpp
extension/include/runstore/core/first_appearance.hpp:
extension/include/runstore/core/uuid.hpp:
extension/include/runstore/pg/id_array.hpp:
extension/include/runstore/pg/id_batch_query.hpp:
extension/include/runstore/pg/spi_plan.hpp:
extension/include/runstore/pg/srf_output.hpp:
