-- Every write to `bars` bumps the series' counter in `bar_versions` (schema/tables/backtests.ts),
-- so the inline backtest path can keep loaded series in memory and still see any change. Only
-- registered series have a row; for the others the UPDATE matches nothing.
-- Keep BEGIN/END upper case and one statement per body: D1's remote statement splitter is strict
-- about trigger bodies (cloudflare/workers-sdk#15314).
CREATE TRIGGER `bars_version_insert` AFTER INSERT ON `bars` BEGIN
  UPDATE `bar_versions` SET `version` = `version` + 1 WHERE `symbol` = NEW.`symbol` AND `timeframe` = NEW.`timeframe`;
END;
--> statement-breakpoint
CREATE TRIGGER `bars_version_update` AFTER UPDATE ON `bars` BEGIN
  UPDATE `bar_versions` SET `version` = `version` + 1 WHERE (`symbol` = NEW.`symbol` AND `timeframe` = NEW.`timeframe`) OR (`symbol` = OLD.`symbol` AND `timeframe` = OLD.`timeframe`);
END;
--> statement-breakpoint
CREATE TRIGGER `bars_version_delete` AFTER DELETE ON `bars` BEGIN
  UPDATE `bar_versions` SET `version` = `version` + 1 WHERE `symbol` = OLD.`symbol` AND `timeframe` = OLD.`timeframe`;
END;
