/**
 * The Node binary and CLI bundle child processes run. As root, several tests start children as other
 * uids (the write helper, the CLI's own uid-dropped writes, the real Claude Code). When the checkout sits
 * below a folder those uids cannot traverse (e.g. /root, 0700), test/global-setup.ts copies Node and the
 * bundle into a world-readable temp folder and points these at the copies; otherwise they are the
 * checkout's own.
 */
import path from 'node:path';

export const testNode: string = process.env.CCFLEET_TEST_NODE ?? process.execPath;
export const testBundle: string = process.env.CCFLEET_TEST_BUNDLE ?? path.resolve(__dirname, '..', '..', 'dist', 'ccfleet.cjs');
