ALTER TABLE `backtest_results` ADD `request_key` text;--> statement-breakpoint
CREATE INDEX `backtest_results_request_key` ON `backtest_results` (`request_key`);