CREATE TABLE "dataset_changes" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"dataset_id" uuid NOT NULL,
	"source_id" uuid NOT NULL,
	"run_id" uuid,
	"kind" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "search_vector" "tsvector";--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "themes" text[];--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "formats" text[];--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "keywords" text[];--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "license" text;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "languages" text[];--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "title_sort" text;--> statement-breakpoint
CREATE INDEX "dataset_changes_feed_idx" ON "dataset_changes" USING btree ("txid","seq");--> statement-breakpoint
CREATE INDEX "datasets_search_idx" ON "datasets" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "datasets_themes_idx" ON "datasets" USING gin ("themes");--> statement-breakpoint
CREATE INDEX "datasets_formats_idx" ON "datasets" USING gin ("formats");--> statement-breakpoint
CREATE INDEX "datasets_keywords_idx" ON "datasets" USING gin ("keywords");--> statement-breakpoint
CREATE INDEX "datasets_license_idx" ON "datasets" USING btree ("license");--> statement-breakpoint
CREATE INDEX "datasets_modified_idx" ON "datasets" USING btree ("modified_at");--> statement-breakpoint
CREATE INDEX "datasets_updated_idx" ON "datasets" USING btree ("updated_at");