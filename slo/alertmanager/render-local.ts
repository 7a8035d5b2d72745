// Renders alertmanager.local.yml with the webhook receiver at another address (Alertmanager's config
// has no environment variables): every http://127.0.0.1:9095 becomes the given base URL.
//
//   node slo/alertmanager/render-local.ts --receiver-url http://127.0.0.1:9100 --out /tmp/am.yml
//   (without --out the config is written to standard output)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LOCAL_CONFIG = fileURLToPath(new URL('./alertmanager.local.yml', import.meta.url));
export const DEFAULT_RECEIVER_URL = 'http://127.0.0.1:9095';

export function renderLocalConfig(config: string, receiverUrl: string): string {
  const url = new URL(receiverUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) URL: ${receiverUrl}`);
  const base = receiverUrl.replace(/\/+$/, '');
  return config.replaceAll(DEFAULT_RECEIVER_URL, base);
}

function main(argv: readonly string[]): void {
  let receiverUrl = process.env.SLO_RECEIVER_URL ?? DEFAULT_RECEIVER_URL;
  let out: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === '--help') {
      process.stdout.write(
        'Usage: node slo/alertmanager/render-local.ts [--receiver-url URL] [--out FILE]\n' +
          `Writes alertmanager.local.yml with its webhooks at URL (env SLO_RECEIVER_URL, default ${DEFAULT_RECEIVER_URL}).\n`,
      );
      return;
    }
    const value = argv[++index];
    if (value === undefined) throw new Error(`${flag ?? ''} needs a value`);
    if (flag === '--receiver-url') receiverUrl = value;
    else if (flag === '--out') out = value;
    else throw new Error(`unknown flag: ${flag ?? ''}`);
  }
  const rendered = renderLocalConfig(readFileSync(LOCAL_CONFIG, 'utf8'), receiverUrl);
  if (out === undefined) process.stdout.write(rendered);
  else writeFileSync(out, rendered);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}
