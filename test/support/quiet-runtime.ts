import { DefaultLogger, Runtime } from '@temporalio/worker';

// Temporal's runtime logs every worker state change at INFO; tests only want errors.
Runtime.install({ logger: new DefaultLogger('ERROR') });
