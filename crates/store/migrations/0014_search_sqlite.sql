-- Full-text search on SQLite: one FTS5 table per record table, reading its text from that
-- table's row (external content: nothing is stored twice) and kept in step by triggers.
-- `unicode61 remove_diacritics 2` folds case and accents. Prefix indexes make a word's
-- beginning ("ac", "acm" as a user types) one lookup instead of a merge of every term that
-- starts so: up to 5 characters for accounts (the accounts list's `q`; a small table), up to 3
-- for the others (contacts are many: each length adds half their index again).

CREATE VIRTUAL TABLE accounts_search USING fts5 (
    name, domain, external_id,
    content = 'accounts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5'
);
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_search (rowid, name, domain, external_id)
    VALUES (new.id, new.name, new.domain, new.external_id);
END;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, name, domain, external_id)
    VALUES ('delete', old.id, old.name, old.domain, old.external_id);
END;
CREATE TRIGGER accounts_search_update AFTER UPDATE OF name, domain, external_id ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, name, domain, external_id)
    VALUES ('delete', old.id, old.name, old.domain, old.external_id);
    INSERT INTO accounts_search (rowid, name, domain, external_id)
    VALUES (new.id, new.name, new.domain, new.external_id);
END;
INSERT INTO accounts_search (accounts_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE contacts_search USING fts5 (
    first_name, last_name, email, title,
    content = 'contacts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search (rowid, first_name, last_name, email, title)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.title);
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, first_name, last_name, email, title)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.title);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF first_name, last_name, email, title ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, first_name, last_name, email, title)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.title);
    INSERT INTO contacts_search (rowid, first_name, last_name, email, title)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.title);
END;
INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE meetings_search USING fts5 (
    title, notes,
    content = 'meetings', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER meetings_search_insert AFTER INSERT ON meetings BEGIN
    INSERT INTO meetings_search (rowid, title, notes) VALUES (new.id, new.title, new.notes);
END;
CREATE TRIGGER meetings_search_delete AFTER DELETE ON meetings BEGIN
    INSERT INTO meetings_search (meetings_search, rowid, title, notes) VALUES ('delete', old.id, old.title, old.notes);
END;
CREATE TRIGGER meetings_search_update AFTER UPDATE OF title, notes ON meetings BEGIN
    INSERT INTO meetings_search (meetings_search, rowid, title, notes) VALUES ('delete', old.id, old.title, old.notes);
    INSERT INTO meetings_search (rowid, title, notes) VALUES (new.id, new.title, new.notes);
END;
INSERT INTO meetings_search (meetings_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE promises_search USING fts5 (
    description,
    content = 'promises', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER promises_search_insert AFTER INSERT ON promises BEGIN
    INSERT INTO promises_search (rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER promises_search_delete AFTER DELETE ON promises BEGIN
    INSERT INTO promises_search (promises_search, rowid, description) VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER promises_search_update AFTER UPDATE OF description ON promises BEGIN
    INSERT INTO promises_search (promises_search, rowid, description) VALUES ('delete', old.id, old.description);
    INSERT INTO promises_search (rowid, description) VALUES (new.id, new.description);
END;
INSERT INTO promises_search (promises_search) VALUES ('rebuild');
