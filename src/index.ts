/** Worker entry: exports the app and the health board's Durable Object class, nothing else. */
import { app } from './app';

export { HealthBoard } from './health/board';
export default app;
