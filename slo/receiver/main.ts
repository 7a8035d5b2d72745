// Runs the local Alertmanager webhook receiver: `node slo/receiver/main.ts --help`.
import { once } from 'node:events';
import { createReceiver, parseCli, USAGE } from './receiver.ts';

let options;
try {
  options = parseCli(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const { server } = createReceiver({ outFile: options.outFile });
server.listen(options.port, options.host);
await once(server, 'listening');
const address = server.address();
const port = typeof address === 'object' && address !== null ? address.port : options.port;
process.stdout.write(
  `slo-receiver: listening on http://${options.host}:${String(port)} (POST /page, /ticket)` +
    `${options.outFile === undefined ? '' : `, recording to ${options.outFile}`}\n`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
