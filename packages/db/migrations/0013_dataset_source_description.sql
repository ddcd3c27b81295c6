-- Each dataset keeps its source's own description of it (CanonicalDataset.sourceDescription):
-- its media type and its text, beside the canonical record rather than inside it, so listings
-- and searches, which read `record`, do not carry it.
-- (The snapshot of 0012 did not hold that migration's change_feed_horizon table and index:
-- drizzle-kit generated them again here; they are left out, 0012 creates them.)
ALTER TABLE "datasets" ADD COLUMN "source_format" text;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "source_description" text;--> statement-breakpoint
-- N-Triples repeat long IRIs: lz4 shrinks them about 3-5 times, at a fraction of pglz's CPU.
-- PostgreSQL compresses a value only once its row outgrows the TOAST target (4 KB, migration 0011).
ALTER TABLE "datasets" ALTER COLUMN "source_description" SET COMPRESSION lz4;
