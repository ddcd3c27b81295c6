ALTER TABLE "source_pages" ADD COLUMN "body_hash" text;--> statement-breakpoint
ALTER TABLE "run_pages" ADD COLUMN "body_hash" text;