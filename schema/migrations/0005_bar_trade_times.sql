-- Feed times of each bar's first and last trade: flushes merge bar pieces in time order
-- (docs/market-data.md). Null for imported and seeded bars.
ALTER TABLE `bars` ADD `first_ts` integer;--> statement-breakpoint
ALTER TABLE `bars` ADD `last_ts` integer;