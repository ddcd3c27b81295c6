CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "source_pages" (
	"source_id" uuid NOT NULL,
	"url" text NOT NULL,
	"etag" text,
	"last_modified" text,
	"next_url" text,
	"identifiers" text[] NOT NULL,
	"run_id" uuid NOT NULL,
	"page_no" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_pages_source_id_url_pk" PRIMARY KEY("source_id","url")
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"title" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"schedule" text,
	"timezone" text DEFAULT 'Africa/Casablanca' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"withdraw_threshold" real,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_batches" (
	"run_id" uuid NOT NULL,
	"page_no" integer NOT NULL,
	"batch_no" integer NOT NULL,
	"identifiers" text[] NOT NULL,
	"record_count" integer NOT NULL,
	"loaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_batches_run_id_page_no_batch_no_pk" PRIMARY KEY("run_id","page_no","batch_no")
);
--> statement-breakpoint
CREATE TABLE "run_pages" (
	"run_id" uuid NOT NULL,
	"page_no" integer NOT NULL,
	"url" text NOT NULL,
	"not_modified" boolean NOT NULL,
	"etag" text,
	"last_modified" text,
	"next_url" text,
	"batch_count" integer NOT NULL,
	"record_count" integer NOT NULL,
	"bytes" integer DEFAULT 0 NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_pages_run_id_page_no_pk" PRIMARY KEY("run_id","page_no")
);
--> statement-breakpoint
CREATE TABLE "run_problems" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"page_no" integer NOT NULL,
	"batch_no" integer NOT NULL,
	"severity" text NOT NULL,
	"code" text NOT NULL,
	"message" text NOT NULL,
	"identifier" text,
	"field" text
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"job_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_page_no" integer DEFAULT 1 NOT NULL,
	"next_url" text,
	"fetch_done" boolean DEFAULT false NOT NULL,
	"pages_total" integer,
	"pages_fetched" integer DEFAULT 0 NOT NULL,
	"pages_not_modified" integer DEFAULT 0 NOT NULL,
	"bytes" integer DEFAULT 0 NOT NULL,
	"seen" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"withdrawn" integer DEFAULT 0 NOT NULL,
	"invalid" integer DEFAULT 0 NOT NULL,
	"pending_withdrawals" integer,
	"error_code" text,
	"error" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_id" uuid NOT NULL,
	"organization_id" uuid NOT NULL,
	"source_identifier" text NOT NULL,
	"uri" text,
	"title" jsonb NOT NULL,
	"record" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"modified_at" timestamp with time zone,
	"status" text DEFAULT 'active' NOT NULL,
	"created_run" uuid NOT NULL,
	"changed_run" uuid NOT NULL,
	"withdrawn_run" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"withdrawn_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "source_pages" ADD CONSTRAINT "source_pages_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sources" ADD CONSTRAINT "sources_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_batches" ADD CONSTRAINT "run_batches_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_pages" ADD CONSTRAINT "run_pages_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_problems" ADD CONSTRAINT "run_problems_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "run_problems_run_idx" ON "run_problems" USING btree ("run_id","page_no","batch_no");--> statement-breakpoint
CREATE INDEX "runs_source_created_idx" ON "runs" USING btree ("source_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_one_live_per_source" ON "runs" USING btree ("source_id") WHERE status in ('queued', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_source_identifier_key" ON "datasets" USING btree ("source_id","source_identifier");--> statement-breakpoint
CREATE INDEX "datasets_org_idx" ON "datasets" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "datasets_uri_idx" ON "datasets" USING btree ("uri");--> statement-breakpoint
CREATE INDEX "datasets_changed_run_idx" ON "datasets" USING btree ("changed_run");--> statement-breakpoint
CREATE INDEX "datasets_listing_idx" ON "datasets" USING btree ("status","updated_at");