import { launch } from '@platform/runtime';
import { loadApiConfig } from './config.ts';
import { createApiService } from './service.ts';

await launch(() => createApiService(loadApiConfig()));
