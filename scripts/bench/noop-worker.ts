import { join } from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';

/**
 * The no-op baseline's worker process: `noop-worker.ts <temporal address> <task queue>` hosts only
 * noop-workflow.ts (bundled from this folder) on its own task queue, until SIGTERM or SIGINT.
 */
async function main(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2);
  if (!address || !taskQueue) throw new Error('usage: noop-worker.ts <temporal address> <task queue>');
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: join(__dirname, 'noop-workflow.ts'),
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
