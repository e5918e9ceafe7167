import { DefaultFailureConverter } from '@temporalio/common';

/**
 * The failure converter of an encrypting Parley worker: it moves failure messages and stack traces into an encoded
 * payload, so the payload codec encrypts them along with failure details. Loaded by path (Temporal's
 * `failureConverterPath`) by the worker and inside the workflow bundle, so it imports nothing but @temporalio/common.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
