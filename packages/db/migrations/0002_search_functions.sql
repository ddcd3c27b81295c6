-- Full-text search and facets (issue 5): the text search configuration and the IMMUTABLE
-- functions the generated columns of `datasets` are computed with (next migration).
-- Every name inside a function body is schema-qualified: the bodies are parsed when the
-- function runs, under whatever search_path the caller has (pg_dump restores set it to '').
CREATE EXTENSION IF NOT EXISTS unaccent;--> statement-breakpoint

-- French stemming with accents folded first, so that `donnees` and `données` meet at `donne`.
-- Arabic words go through the same chain untouched: the French stemmer finds no French
-- vowels in them, hence no region to strip a suffix from; they are folded beforehand by
-- hasad_search_norm().
CREATE TEXT SEARCH CONFIGURATION public.hasad_fr (COPY = pg_catalog.french);--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION public.hasad_fr ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.french_stem;--> statement-breakpoint

-- unaccent() is only STABLE (it reads its dictionary by name); with the dictionary named
-- explicitly the result depends on the rules file alone, as immutable as a stemmer's.
CREATE FUNCTION public.hasad_unaccent(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, t) $$;--> statement-breakpoint

-- Arabic orthographic normalisation: harakat (U+064B–U+0652) and tatweel (U+0640) removed,
-- alef with hamza or madda (أ إ آ) → ا, alef maqsura ى → ي, teh marbuta ة → ه.
CREATE FUNCTION public.hasad_ar_norm(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.translate(pg_catalog.regexp_replace(t, '[\u064B-\u0652\u0640]', '', 'g'), 'أإآىة', 'ااايه') $$;--> statement-breakpoint

-- Light Arabic stemming: proclitics written joined to the word are removed — the article
-- with its prepositions and conjunctions (ال وال بال كال فال فبال لل …), then a leading
-- conjunction و when three letters remain — so that `البطالة` finds `والبطالة`. Applied to
-- the indexed text and to the query alike, so a word that merely starts with و (وزارة)
-- becomes the same stem on both sides. PostgreSQL's Arabic snowball stemmer is not used:
-- it keeps `والبطال` and `بطال` apart.
CREATE FUNCTION public.hasad_ar_light(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT pg_catalog.regexp_replace(
    pg_catalog.regexp_replace(t, '(?<![\u0621-\u064A])(?:[وف]?[بكل]?ال|لل)(?=[\u0621-\u064A]{2})', '', 'g'),
    '(?<![\u0621-\u064A])و(?=[\u0621-\u064A]{3})', '', 'g')
$$;--> statement-breakpoint

-- What both the documents and the queries go through before the hasad_fr configuration.
CREATE FUNCTION public.hasad_search_norm(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT public.hasad_ar_light(public.hasad_ar_norm(t)) $$;--> statement-breakpoint

-- Every string anywhere in a JSON value: the values of a language map ({"fr": "…"}) or of a
-- per-language list map ({"fr": ["…"]}); never the keys.
CREATE FUNCTION public.hasad_strings(j jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(v #>> '{}'), '{}')
  FROM pg_catalog.jsonb_path_query(j, 'strict $.** ? (@.type() == "string")', '{}', true) AS v
$$;--> statement-breakpoint

-- The document: title (weight A), keywords (B) and description (C) in every language.
CREATE FUNCTION public.hasad_search_vector(title jsonb, keywords jsonb, description jsonb) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.setweight(pg_catalog.to_tsvector('public.hasad_fr'::regconfig, public.hasad_search_norm(pg_catalog.array_to_string(public.hasad_strings(title), ' '))), 'A')
      || pg_catalog.setweight(pg_catalog.to_tsvector('public.hasad_fr'::regconfig, public.hasad_search_norm(pg_catalog.array_to_string(public.hasad_strings(keywords), ' '))), 'B')
      || pg_catalog.setweight(pg_catalog.to_tsvector('public.hasad_fr'::regconfig, public.hasad_search_norm(pg_catalog.array_to_string(public.hasad_strings(description), ' '))), 'C')
$$;--> statement-breakpoint

-- The query side of the same pipeline (websearch syntax: "phrases", OR, -excluded).
CREATE FUNCTION public.hasad_search_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.websearch_to_tsquery('public.hasad_fr'::regconfig, public.hasad_search_norm(q)) $$;--> statement-breakpoint

-- Distinct non-empty strings of a JSON array (themes), trimmed, sorted.
CREATE FUNCTION public.hasad_text_array(j jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}')
  FROM (SELECT pg_catalog.btrim(v #>> '{}') AS x FROM pg_catalog.jsonb_path_query(j, 'strict $[*] ? (@.type() == "string")', '{}', true) AS v) s
  WHERE x <> ''
$$;--> statement-breakpoint

-- Every keyword of every language, distinct.
CREATE FUNCTION public.hasad_keywords(j jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}')
  FROM (SELECT pg_catalog.btrim(s) AS x FROM pg_catalog.unnest(public.hasad_strings(j)) AS s) s
  WHERE x <> ''
$$;--> statement-breakpoint

-- A format as the facet shows it: the code of an EU file-type URI (`CSV`), a plain label
-- upper-cased (`csv` → `CSV`), an IANA media-type URI reduced to the type; anything else as given.
CREATE FUNCTION public.hasad_format_label(f text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN f ~* '^https?://publications\.europa\.eu/resource/authority/file-type/[^/]+$' THEN pg_catalog.upper(pg_catalog.regexp_replace(f, '^.*/', ''))
    WHEN f ~* '^https?://(www\.)?iana\.org/assignments/media-types/' THEN pg_catalog.lower(pg_catalog.regexp_replace(f, '^.*/media-types/', '', 'i'))
    WHEN f !~ '[/:]' THEN pg_catalog.upper(pg_catalog.btrim(f))
    ELSE pg_catalog.btrim(f)
  END
$$;--> statement-breakpoint

-- The formats of a dataset's distributions (the media type where a distribution has no format).
CREATE FUNCTION public.hasad_formats(distributions jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}')
  FROM (
    SELECT public.hasad_format_label(coalesce(d->>'format', d->>'mediaType')) AS x
    FROM pg_catalog.jsonb_path_query(distributions, 'strict $[*] ? (@.type() == "object")', '{}', true) AS d
  ) s
  WHERE x <> ''
$$;--> statement-breakpoint

-- The languages a dataset is in: its dct:language values (EU authority URIs and ISO 639-2
-- codes reduced to the two-letter code where there is one) and the languages its title and
-- description are given in. Lower-case primary subtags: `fr`, `ar`, `en`, `zgh`.
CREATE FUNCTION public.hasad_languages(record jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT l ORDER BY l), '{}')
  FROM (
    SELECT CASE x WHEN 'fra' THEN 'fr' WHEN 'fre' THEN 'fr' WHEN 'ara' THEN 'ar' WHEN 'eng' THEN 'en' WHEN 'spa' THEN 'es'
                  WHEN 'deu' THEN 'de' WHEN 'ger' THEN 'de' WHEN 'ita' THEN 'it' WHEN 'por' THEN 'pt' WHEN 'nld' THEN 'nl' ELSE x END AS l
    FROM (
      SELECT pg_catalog.split_part(pg_catalog.lower(pg_catalog.regexp_replace(v #>> '{}', '^.*/', '')), '-', 1) AS x
      FROM pg_catalog.jsonb_path_query(record, 'strict $.language[*] ? (@.type() == "string")', '{}', true) AS v
      UNION ALL
      SELECT pg_catalog.split_part(pg_catalog.lower(k #>> '{}'), '-', 1)
      FROM pg_catalog.jsonb_path_query(record, 'strict $.title.keyvalue().key', '{}', true) AS k
      UNION ALL
      SELECT pg_catalog.split_part(pg_catalog.lower(k #>> '{}'), '-', 1)
      FROM pg_catalog.jsonb_path_query(record, 'strict $.description.keyvalue().key', '{}', true) AS k
    ) a
  ) b
  WHERE l <> ''
$$;--> statement-breakpoint

-- The key titles sort by: the French title (else untagged, English, Arabic, any), accents
-- folded, lower-cased, 200 characters at most.
CREATE FUNCTION public.hasad_title_sort(title jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.left(pg_catalog.lower(public.hasad_unaccent(pg_catalog.btrim(coalesce(
    title->>'fr', title->>'', title->>'en', title->>'ar', (public.hasad_strings(title))[1], '')))), 200)
$$;
