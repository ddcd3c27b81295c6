CREATE TABLE "link_checks" (
	"source_id" uuid NOT NULL,
	"url" text NOT NULL,
	"dataset_id" uuid,
	"ok" boolean NOT NULL,
	"http_status" integer,
	"method" text NOT NULL,
	"error" text,
	"duration_ms" integer NOT NULL,
	"run_id" uuid,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "link_checks_source_id_url_pk" PRIMARY KEY("source_id","url")
);
--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "quality_score" integer;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "quality" jsonb;--> statement-breakpoint
ALTER TABLE "link_checks" ADD CONSTRAINT "link_checks_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_checks_source_checked_idx" ON "link_checks" USING btree ("source_id","checked_at");