-- The kept source description, raw-deflated by the fetcher (its UTF-8 text compressed once, then
-- carried through Redis and into PostgreSQL as bytes; see datasets.ts). `source_description`
-- stays for the rows written before this migration: readers take whichever is set.
ALTER TABLE "datasets" ADD COLUMN "source_description_deflated" "bytea";--> statement-breakpoint
-- Already compressed: when a row outgrows the TOAST target (a long ISO 19139 document), it is
-- moved out of line as it is, never compressed a second time.
ALTER TABLE "datasets" ALTER COLUMN "source_description_deflated" SET STORAGE EXTERNAL;
