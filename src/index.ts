/** Worker entry: exports the app and nothing else. */
import { app } from './app';

export default app;
