-- Facet grouping keys (issue 5, search speed). A search counts its facets by grouping the
-- matches by these two 64-bit hashes, then reads the values of each group from one of its
-- rows; grouping by the arrays themselves hashed every element of every matching row.
-- Fields are joined with separators that cannot occur in them (U+001E between list items,
-- U+001F between fields) and NULL kept apart from empty, so that different values give
-- different strings; two different strings hashing alike is a 1 in 2^64 chance per pair
-- (a few thousand distinct combinations in a catalogue).
-- array_to_string is only STABLE (element output functions in general); for text[] it is as
-- immutable as the text itself.
CREATE FUNCTION public.hasad_facet_key(organization uuid, themes text[], formats text[], license text, languages text[]) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.hashtextextended(
    pg_catalog.concat(organization::text,
      E'\x1f', coalesce(pg_catalog.array_to_string(themes, E'\x1e'), E'\x01'),
      E'\x1f', coalesce(pg_catalog.array_to_string(formats, E'\x1e'), E'\x01'),
      E'\x1f', coalesce(license, E'\x01'),
      E'\x1f', coalesce(pg_catalog.array_to_string(languages, E'\x1e'), E'\x01')), 0)
$$;--> statement-breakpoint
CREATE FUNCTION public.hasad_keywords_key(keywords text[]) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.hashtextextended(coalesce(pg_catalog.array_to_string(keywords, E'\x1e'), E'\x01'), 0) $$;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "facet_key" bigint GENERATED ALWAYS AS (hasad_facet_key(organization_id, themes, formats, license, languages)) STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "keywords_key" bigint GENERATED ALWAYS AS (hasad_keywords_key(keywords)) STORED;
