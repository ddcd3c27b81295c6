ALTER TABLE "organizations" ADD COLUMN "notify_emails" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "webhook_url" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "webhook_secret" text;