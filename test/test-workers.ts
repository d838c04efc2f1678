import { availableParallelism } from 'node:os';

/**
 * Test files the engine and workerd projects run at once. Vitest's default is one fewer than the
 * cores, so a 2-core machine (CI's) ran every file alone; these files mostly wait (module
 * transforms, workerd start-up, queue consumers, alarms), and two at a time took their part of
 * `npm test` from 338 s to 194 s there. Set per project: a root `maxWorkers` does not reach them.
 */
export const TEST_WORKERS = Math.max(2, availableParallelism() - 1);
