-- Full-text search on PostgreSQL: a generated `search_vector` column per table, with a GIN
-- index, weighted so a name outranks a note (A: names, B: domains, ids, emails and meeting
-- titles, C: job titles and promises, D: meeting notes).
--
-- `search_words` readies text for the `simple` configuration (no stemming, no stop words,
-- lower-cased) the way SQLite's unicode61 tokenizer reads it: accents come off (decomposed,
-- the combining marks dropped: no `unaccent` extension needed; the database must be UTF-8, as
-- `normalize` asks) and ASCII punctuation becomes a space, so `acme.com` and `ACC-000042` are
-- words of their own rather than a host name and a hyphenated word. It is IMMUTABLE, as a
-- generated column requires. (Regular expressions, not `translate`: with a table of accented
-- letters `translate` made each row's vector six times slower to compute.)
CREATE FUNCTION search_words(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(regexp_replace(normalize($1, NFD), '[\u0300-\u036f]', '', 'g'), '[!-/:-@[-`{-~]', ' ', 'g')
$$;

ALTER TABLE accounts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', search_words(name)), 'A')
    || setweight(to_tsvector('simple', search_words(coalesce(domain, '') || ' ' || external_id)), 'B')
) STORED;
CREATE INDEX accounts_search ON accounts USING gin (search_vector);

ALTER TABLE contacts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', search_words(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))), 'A')
    || setweight(to_tsvector('simple', search_words(coalesce(email, ''))), 'B')
    || setweight(to_tsvector('simple', search_words(coalesce(title, ''))), 'C')
) STORED;
CREATE INDEX contacts_search ON contacts USING gin (search_vector);

ALTER TABLE meetings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', search_words(title)), 'B')
    || setweight(to_tsvector('simple', search_words(notes)), 'D')
) STORED;
CREATE INDEX meetings_search ON meetings USING gin (search_vector);

ALTER TABLE promises ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', search_words(description)), 'C')
) STORED;
CREATE INDEX promises_search ON promises USING gin (search_vector);
