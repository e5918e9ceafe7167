/** The workflows the Parley worker registers. */
export { actionTest } from './action-test';
export { conversation } from './conversation';
