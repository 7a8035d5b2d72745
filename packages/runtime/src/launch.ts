import { ConfigError } from './config.ts';
import { startService, type ServiceDefinition } from './server.ts';

/**
 * The entry point of every service's main.ts: builds the service, starts it, and owns the process
 * from then on. SIGTERM/SIGINT drain and exit 0; a second signal exits at once; a configuration
 * error prints a readable message and exits 1; an uncaught error (a bug) is logged and exits 1.
 */
export async function launch(build: () => Promise<ServiceDefinition>): Promise<void> {
  let definition: ServiceDefinition;
  try {
    definition = await build();
  } catch (error) {
    process.stderr.write(
      error instanceof ConfigError
        ? `${error.message}\n`
        : `start-up failed: ${String((error as Error).stack ?? error)}\n`,
    );
    process.exit(1);
  }
  const { logger } = definition;
  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error }, `${kind}: exiting`);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));

  const running = await startService(definition).catch(crash('could not start'));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down');
    running.stop().then(() => process.exit(0), crash('shutdown failed'));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
