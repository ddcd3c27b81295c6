-- The publishers' scoreboard: figures per organisation computed by the scheduler (after each run
-- of the organisation ends, and every HASAD_SCOREBOARD_REFRESH_MINUTES) and read as they are by
-- the API and /observatoire; one history row per organisation and day for the trends.
CREATE TABLE "organization_scoreboard" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"datasets" integer NOT NULL,
	"updated30" integer NOT NULL,
	"updated90" integer NOT NULL,
	"updated365" integer NOT NULL,
	"median_age_days" real,
	"quality_score" real,
	"quality_scored" integer NOT NULL,
	"quality_trend" real,
	"links_checked" integer NOT NULL,
	"links_broken" integer NOT NULL,
	"broken_links_share" real,
	"runs" integer NOT NULL,
	"runs_succeeded" integer NOT NULL,
	"harvest_health" real,
	"distributions" integer NOT NULL,
	"open_distributions" integer NOT NULL,
	"open_formats_share" real,
	"computed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organization_scoreboard_history" (
	"organization_id" uuid NOT NULL,
	"day" date NOT NULL,
	"datasets" integer NOT NULL,
	"median_age_days" real,
	"quality_score" real,
	"broken_links_share" real,
	"harvest_health" real,
	"open_formats_share" real,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "organization_scoreboard_history_organization_id_day_pk" PRIMARY KEY("organization_id","day")
);
--> statement-breakpoint
ALTER TABLE "organization_scoreboard" ADD CONSTRAINT "organization_scoreboard_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_scoreboard_history" ADD CONSTRAINT "organization_scoreboard_history_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;