// Convergence with the table 270 operations ahead of the stream (see convergence-suite.ts).
import { convergenceSuite } from './convergence-suite.js';

convergenceSuite({ seeds: { ops: 42, sizes: 5, faults: 3 }, operations: 540, drainEvery: 270 });
