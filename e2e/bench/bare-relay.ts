// One bare Node HTTP hop: the floor for any path through a Node service on this machine. Every request
// is forwarded as it came (method, path, headers, body) to one upstream over a keep-alive pool, and the
// answer is streamed back; no framework, logging or telemetry. The Host header passes unchanged, so a
// request S3-signed for the relay's address is valid upstream. The benchmark runs it in front of S3.
// Usage: node e2e/bench/bare-relay.ts <upstream origin>   (prints the port it listens on)
import { Agent, createServer, request } from 'node:http';
import { pipeline } from 'node:stream';

const usage = 'Usage: node e2e/bench/bare-relay.ts <upstream origin, such as http://127.0.0.1:9000>';
const [origin] = process.argv.slice(2);
if (origin === '--help' || origin === '-h') {
  console.log(usage);
  process.exit(0);
}
const upstream = URL.canParse(origin ?? '') ? new URL(origin ?? '') : undefined;
if (upstream?.protocol !== 'http:') {
  console.error(`bare-relay: ${origin ?? 'no upstream given'} is not an http:// origin\n${usage}`);
  process.exit(2);
}

const agent = new Agent({ keepAlive: true });
const server = createServer((incoming, outgoing) => {
  const forwarded = request(
    {
      hostname: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
      agent,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      pipeline(answer, outgoing, () => undefined);
    },
  );
  forwarded.on('error', () => outgoing.destroy());
  pipeline(incoming, forwarded, () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address !== null ? address.port : '');
});
