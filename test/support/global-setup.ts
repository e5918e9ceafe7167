import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { freePort, startFerretDb, startTemporalDevServer } from '../../scripts/infra';
import { workflowsPath } from '../../worker/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    mongodbUri: string;
    workflowBundleCode: string;
  }
}

/**
 * Starts a real Temporal dev server and FerretDB on free ports in a temporary folder, once per test run,
 * and bundles the workflow code once for every test worker. A missing tool fails the run with what to do.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const [temporal, ferret, bundle] = await Promise.all([
    // A low threshold makes long test conversations continue-as-new, so that path runs for real.
    startTemporalDevServer({
      port: temporalPort,
      logDir: dir,
      dynamicConfig: ['limit.historyCount.suggestContinueAsNew=80'],
    }),
    startFerretDb({ port: mongoPort, dataDir: join(dir, 'ferretdb'), logDir: dir }),
    bundleWorkflowCode({
      workflowsPath,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    }),
  ]);
  project.provide('temporalAddress', temporal.address);
  project.provide('mongodbUri', ferret.uri);
  project.provide('workflowBundleCode', bundle.code);
  return async () => {
    await Promise.all([temporal.stop(), ferret.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
