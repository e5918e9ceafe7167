/** The workflows the Parley worker registers. */
export { conversation } from './conversation';
