import { busContract } from '../support/bus-contract.ts';
import { createEmbeddedHarness } from '../support/bus-harness.ts';

busContract('embedded log on PGlite', createEmbeddedHarness);
