CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`scopes` text NOT NULL,
	`rate_limit_tier` text DEFAULT 'standard' NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_revoked` ON `api_keys` (`revoked_at`);--> statement-breakpoint
CREATE TABLE `backtest_results` (
	`content_hash` text PRIMARY KEY NOT NULL,
	`engine_version` text NOT NULL,
	`stats` text NOT NULL,
	`trades` text NOT NULL,
	`equity` text NOT NULL,
	`bars` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `backtests` (
	`id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`status` text NOT NULL,
	`mode` text NOT NULL,
	`request` text NOT NULL,
	`content_hash` text NOT NULL,
	`idempotency_key` text,
	`sweep_id` text,
	`progress` real DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` integer,
	`error` text,
	`trace_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `backtests_key_created` ON `backtests` (`key_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `backtests_key_idem` ON `backtests` (`key_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `backtests_sweep` ON `backtests` (`sweep_id`);--> statement-breakpoint
CREATE TABLE `sweeps` (
	`id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`status` text NOT NULL,
	`request` text NOT NULL,
	`rank_by` text NOT NULL,
	`total` integer NOT NULL,
	`idempotency_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sweeps_key_created` ON `sweeps` (`key_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `sweeps_key_idem` ON `sweeps` (`key_id`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `bars` (
	`symbol` text NOT NULL,
	`timeframe` text NOT NULL,
	`ts` integer NOT NULL,
	`open` real NOT NULL,
	`high` real NOT NULL,
	`low` real NOT NULL,
	`close` real NOT NULL,
	`volume` real NOT NULL,
	PRIMARY KEY(`symbol`, `timeframe`, `ts`)
);
--> statement-breakpoint
CREATE TABLE `quotes` (
	`symbol` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`ts` integer NOT NULL,
	`last` real,
	`last_size` real,
	`bid` real,
	`bid_size` real,
	`ask` real,
	`ask_size` real,
	`day_open` real,
	`day_high` real,
	`day_low` real,
	`day_volume` real,
	`prev_close` real,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `symbols` (
	`symbol` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`asset_class` text NOT NULL,
	`exchange` text NOT NULL,
	`currency` text NOT NULL,
	`tick_size` real NOT NULL,
	`lot_size` real NOT NULL,
	`session` text NOT NULL,
	`timezone` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `models` (
	`symbol` text NOT NULL,
	`horizon` text NOT NULL,
	`version` text NOT NULL,
	`status` text NOT NULL,
	`artifact` text NOT NULL,
	`evaluation` text,
	`trained_at` integer NOT NULL,
	`trained_through` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`symbol`, `horizon`, `version`)
);
--> statement-breakpoint
CREATE INDEX `models_latest` ON `models` (`symbol`,`horizon`,`trained_at`);--> statement-breakpoint
CREATE TABLE `training_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`symbol` text NOT NULL,
	`horizon` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
