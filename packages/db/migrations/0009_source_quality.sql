CREATE TABLE "source_quality" (
	"source_id" uuid PRIMARY KEY NOT NULL,
	"quality" jsonb NOT NULL,
	"run_id" uuid,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "source_quality" ADD CONSTRAINT "source_quality_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;