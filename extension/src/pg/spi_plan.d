extension/src/pg/spi_plan.o: extension/src/pg/spi_plan.cpp \
 extension/include/runstore/pg/spi_plan.hpp
extension/include/runstore/pg/spi_plan.hpp:
