#!/usr/bin/env node
// The `glassbox` command: registers tsx (the code runs as TypeScript, no build step) and runs src/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
