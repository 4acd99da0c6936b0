// Convergence with the table 180 operations ahead of the stream (see convergence-suite.ts).
import { convergenceSuite } from './convergence-suite.js';

convergenceSuite({ seeds: { ops: 1234, sizes: 77, faults: 31 }, operations: 540, drainEvery: 180 });
