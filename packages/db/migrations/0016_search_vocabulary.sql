-- The search vocabulary (issue 15): the distinct folded words of the active datasets' titles and
-- their keywords, with counts, computed by the scheduler when the catalogue changed; suggestions
-- and the typo retry look words up here (pg_trgm, migration 0014) instead of in every dataset.
CREATE TABLE "search_keywords" (
	"keyword" text PRIMARY KEY NOT NULL,
	"folded" text NOT NULL,
	"datasets" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_vocabulary_state" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"catalogue" text NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "search_vocabulary_state_one_row" CHECK ("search_vocabulary_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "search_words" (
	"word" text PRIMARY KEY NOT NULL,
	"datasets" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "search_keywords_folded_trgm_idx" ON "search_keywords" USING gin ("folded" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "search_words_trgm_idx" ON "search_words" USING gin ("word" gin_trgm_ops);