import { launch } from '@platform/runtime';
import { loadProberConfig } from './config.ts';
import { createProberService } from './service.ts';

await launch(() => createProberService(loadProberConfig()));
