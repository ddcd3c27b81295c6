-- The change feed is pruned by age (HASAD_CHANGES_RETENTION_DAYS). The horizon is the last
-- position (transaction id, seq) pruned: a reader whose cursor lies before it may have missed
-- changes and is told to start again (410 cursor_expired); a reader from the beginning starts
-- at the horizon. One row at most.
CREATE TABLE "change_feed_horizon" (
  "id" integer PRIMARY KEY DEFAULT 1 CHECK ("id" = 1),
  "txid" xid8 NOT NULL,
  "seq" bigint NOT NULL,
  "pruned_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE INDEX "dataset_changes_at_idx" ON "dataset_changes" USING btree ("at");
