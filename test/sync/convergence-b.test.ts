// Convergence with the whole run written before the stream is drained (see convergence-suite.ts).
import { convergenceSuite } from './convergence-suite.js';

convergenceSuite({ seeds: { ops: 7, sizes: 11, faults: 19 }, operations: 540, drainEvery: 540 });
