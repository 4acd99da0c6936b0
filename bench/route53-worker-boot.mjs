// Worker entry: registers tsx's loader in the worker thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./route53-worker.ts');
