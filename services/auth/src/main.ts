import { launch } from '@platform/runtime';
import { loadAuthConfig } from './config.ts';
import { createAuthService } from './service.ts';

await launch(() => createAuthService(loadAuthConfig()));
