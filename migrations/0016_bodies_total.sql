-- The bytes of cached bodies, kept by triggers (issue 17): asking the budget after every
-- prefetch batch must not read the whole bodies table (raw messages inline) from disk.
CREATE TABLE bodies_total (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    bytes INTEGER NOT NULL
) STRICT;
INSERT INTO bodies_total (id, bytes) SELECT 1, coalesce(sum(size), 0) FROM bodies;

CREATE TRIGGER bodies_total_insert AFTER INSERT ON bodies BEGIN
    UPDATE bodies_total SET bytes = bytes + NEW.size WHERE id = 1;
END;
CREATE TRIGGER bodies_total_delete AFTER DELETE ON bodies BEGIN
    UPDATE bodies_total SET bytes = bytes - OLD.size WHERE id = 1;
END;
CREATE TRIGGER bodies_total_update AFTER UPDATE OF size ON bodies BEGIN
    UPDATE bodies_total SET bytes = bytes - OLD.size + NEW.size WHERE id = 1;
END;
