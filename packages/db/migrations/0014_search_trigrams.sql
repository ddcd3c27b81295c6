-- pg_trgm (PostgreSQL contrib) for the typo-tolerant search: when a query's exact full-text
-- search finds nothing, titles are matched by trigram word similarity (datasets.repository.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "datasets_title_trgm_idx" ON "datasets" USING gin ("title_sort" gin_trgm_ops);