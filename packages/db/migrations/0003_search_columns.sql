ALTER TABLE "datasets" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (hasad_search_vector(record->'title', record->'keywords', record->'description')) STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "themes" text[] GENERATED ALWAYS AS (hasad_text_array(record->'themes')) STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "formats" text[] GENERATED ALWAYS AS (hasad_formats(record->'distributions')) STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "keywords" text[] GENERATED ALWAYS AS (hasad_keywords(record->'keywords')) STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "license" text GENERATED ALWAYS AS (record->>'license') STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "languages" text[] GENERATED ALWAYS AS (hasad_languages(record)) STORED;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "title_sort" text GENERATED ALWAYS AS (hasad_title_sort(record->'title')) STORED;--> statement-breakpoint
CREATE INDEX "datasets_search_idx" ON "datasets" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "datasets_themes_idx" ON "datasets" USING gin ("themes");--> statement-breakpoint
CREATE INDEX "datasets_formats_idx" ON "datasets" USING gin ("formats");--> statement-breakpoint
CREATE INDEX "datasets_keywords_idx" ON "datasets" USING gin ("keywords");--> statement-breakpoint
CREATE INDEX "datasets_license_idx" ON "datasets" USING btree ("license");--> statement-breakpoint
CREATE INDEX "datasets_modified_idx" ON "datasets" USING btree ("modified_at");--> statement-breakpoint
CREATE INDEX "datasets_updated_idx" ON "datasets" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "datasets_withdrawn_idx" ON "datasets" USING btree ("source_id") WHERE status = 'withdrawn';