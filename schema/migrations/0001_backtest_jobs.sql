CREATE TABLE `backtest_trades` (
	`content_hash` text NOT NULL,
	`chunk` integer NOT NULL,
	`trades` text NOT NULL,
	PRIMARY KEY(`content_hash`, `chunk`)
);
--> statement-breakpoint
CREATE TABLE `sweep_chunks` (
	`sweep_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`rows` text NOT NULL,
	`evaluated` integer NOT NULL,
	`skipped` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`sweep_id`, `chunk`)
);
--> statement-breakpoint
ALTER TABLE `backtest_results` ADD `open_trades` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `backtest_results` ADD `trade_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `backtest_results` DROP COLUMN `trades`;--> statement-breakpoint
ALTER TABLE `backtests` ADD `cached` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `backtests` ADD `bars` integer;--> statement-breakpoint
CREATE INDEX `backtests_status_lease` ON `backtests` (`status`,`lease_until`);--> statement-breakpoint
ALTER TABLE `sweeps` ADD `chunk_size` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `sweeps` ADD `chunks` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sweeps` ADD `error` text;--> statement-breakpoint
ALTER TABLE `sweeps` ADD `trace_id` text;--> statement-breakpoint
ALTER TABLE `sweeps` ADD `completed_at` integer;