// The agent ↔ server end-to-end scenarios (scenarios.ts) on the embedded SQLite store: a temp file per store.
import { serverScenarios } from './scenarios.js';

serverScenarios('sqlite');
