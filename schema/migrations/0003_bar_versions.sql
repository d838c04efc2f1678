CREATE TABLE `bar_versions` (
	`symbol` text NOT NULL,
	`timeframe` text NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`symbol`, `timeframe`)
);
