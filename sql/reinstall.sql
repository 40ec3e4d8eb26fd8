-- Plans are prepared once per backend and kept.  Dropping and re-creating
-- the extension in the same session must not leave them pointing at the old
-- table: the plan cache revalidates them.
\set VERBOSITY default

INSERT INTO runstore.executions (id, workspace_id, tags) VALUES (u(1), 1, '{r}'), (u(2), 1, '{r}');
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(2), u(1)]);
SELECT * FROM runstore.delete_many(ARRAY[u(1)]);
SELECT * FROM runstore.delete_by_tag('r');

DROP EXTENSION runstore;
CREATE EXTENSION runstore;
INSERT INTO runstore.executions (id, workspace_id, tags) VALUES (u(3), 1, '{r}'), (u(4), 1, '{r}');
SELECT id FROM runstore.get_executions_by_ids(ARRAY[u(4), u(3), u(1)]);
SELECT * FROM runstore.delete_many(ARRAY[u(3), u(2)]);
SELECT * FROM runstore.delete_by_tag('r');

-- A column added to the table later (as an upgrade might): the functions
-- still return the table's full row type.
ALTER TABLE runstore.executions ADD COLUMN note text;
INSERT INTO runstore.executions (id, workspace_id, note) VALUES (u(5), 1, 'added later');
SELECT id, note FROM runstore.get_executions_by_ids(ARRAY[u(5)]);
-- A dropped column leaves a hole in the row type; rows are mapped by position.
ALTER TABLE runstore.executions DROP COLUMN note;
ALTER TABLE runstore.executions DROP COLUMN error;
SELECT id, workspace_id FROM runstore.get_executions_by_ids(ARRAY[u(5)]);

-- Put the extension back as installed for the tests after this one.
DROP EXTENSION runstore;
CREATE EXTENSION runstore;
