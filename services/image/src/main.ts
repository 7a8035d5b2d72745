import { launch } from '@platform/runtime';
import { loadImageConfig } from './config.ts';
import { createImageService } from './service.ts';

await launch(() => createImageService(loadImageConfig()));
