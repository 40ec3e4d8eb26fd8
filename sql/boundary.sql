-- The C++/PostgreSQL error boundary (extension/src/pg_boundary.cpp).
-- Every error below must be a clean ERROR with its SQLSTATE, C++ destructors
-- must have run, and the session must stay usable afterwards.
\set VERBOSITY default

SELECT runstore._boundary_selftest('destructors_run') AS before \gset

-- A C++ exception thrown while a std::string and std::vector are alive.
SELECT runstore._boundary_selftest('cpp_exception');
\echo :LAST_ERROR_SQLSTATE

-- A PostgreSQL ERROR (int4in, 22P02) raised beneath C++ code: it unwinds the
-- C++ frames as an exception and is re-raised with its own SQLSTATE.
SELECT runstore._boundary_selftest('pg_error_beneath_cpp');
\echo :LAST_ERROR_SQLSTATE

SELECT runstore._boundary_selftest('out_of_memory');
\echo :LAST_ERROR_SQLSTATE

SELECT runstore._boundary_selftest('unknown_exception');
\echo :LAST_ERROR_SQLSTATE

SELECT runstore._boundary_selftest('no such mode');
\echo :LAST_ERROR_SQLSTATE
-- A megabyte of mode name is quoted as its first 64 bytes, not echoed whole.
SELECT runstore._boundary_selftest(repeat('m', 1000000));
\echo :LAST_ERROR_SQLSTATE

-- Each of the four errors above unwound one Tracked object and ran its
-- destructor (the first counting call adds one more as it returns).
SELECT runstore._boundary_selftest('destructors_run') - :before - 1 AS destructors_run_by_errors;

-- The session is healthy: the same thing inside a transaction with a
-- savepoint, rolled back, then more work in the same transaction.
BEGIN;
CREATE TEMP TABLE boundary_probe(x int);
INSERT INTO boundary_probe VALUES (1);
SAVEPOINT s;
SELECT runstore._boundary_selftest('pg_error_beneath_cpp');
ROLLBACK TO SAVEPOINT s;
INSERT INTO boundary_probe VALUES (2);
SELECT runstore._boundary_selftest('pg_error_beneath_cpp');
ROLLBACK;
SELECT count(*) AS probe_table_rolled_back FROM pg_class WHERE relname = 'boundary_probe';
SELECT 1 AS session_still_healthy;

-- Internal: not callable by ordinary roles.
CREATE ROLE boundary_nobody;
GRANT USAGE ON SCHEMA runstore TO boundary_nobody;
SET ROLE boundary_nobody;
SELECT runstore._boundary_selftest('destructors_run');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA runstore FROM boundary_nobody;
DROP ROLE boundary_nobody;
