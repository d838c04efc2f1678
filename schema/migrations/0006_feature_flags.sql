CREATE TABLE `feature_flags` (
	`key` text PRIMARY KEY NOT NULL,
	`enabled` integer NOT NULL,
	`variant` text NOT NULL,
	`rollout` real NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `flag_audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`flag_key` text NOT NULL,
	`actor_key_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`at` integer NOT NULL,
	`old_value` text,
	`new_value` text NOT NULL,
	`trace_id` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `flag_audit_key_at` ON `flag_audit` (`flag_key`,`at`);