// Request-rate benchmarks with autocannon: the gateway's overhead on a small authenticated GET,
// login throughput with the auth service's event-loop delay, and the read mix's capacity at SLO.
import autocannon, { type Instance, type Options, type Result } from 'autocannon';
import { request } from 'undici';
import { parseSamples } from '../support/prometheus-text.ts';
import { errorRatio, runScenario } from '../load/scenarios.ts';
import { sloThresholds } from '../load/thresholds.ts';
import { apiClient, directS3 } from './clients.ts';
import { rotated } from './side-by-side.ts';
import type { Metric } from './report.ts';
import type { BenchStack } from './stack.ts';
import { percentile } from './stats.ts';

interface Run {
  result: Result;
  /** Latencies of the 2xx answers in milliseconds, unrounded (autocannon's histogram keeps whole ms). */
  latenciesMs: number[];
}

function cannon(options: Options, onInstance?: (instance: Instance) => void): Promise<Run> {
  const latenciesMs: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => {
      if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve({ result, latenciesMs });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime);
    });
    onInstance?.(instance);
  });
}

const failures = (result: Result) => result.non2xx + result.errors + result.timeouts;

export interface GatewayOptions {
  runs: number;
  seconds: number;
  connections: number;
  /** Concurrency of the reads comparison (API vs S3 GetObject of the same object). */
  readConnections: number;
  progress: (message: string) => void;
}

/** The user id a token was issued for (its `sub`): the image service keys objects by owner. */
const tokenSubject = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string }).sub;

/** Completed GetObject calls per second of one object, `connections` at a time, for `seconds`. */
async function s3ReadsPerSecond(get: () => Promise<unknown>, connections: number, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await get();
      completed += 1;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return completed / ((performance.now() - start) / 1000);
}

/**
 * GET /images/:filename of a small image, through the API and straight from the image service
 * (same token, same image), alternating which goes first. The overhead is the difference of the
 * medians of each run.
 */
export async function benchGateway(stack: BenchStack, options: GatewayOptions): Promise<Metric[]> {
  const api = stack.description.services.api.url;
  const image = stack.description.services.image.url;
  const client = apiClient(api);
  const user = await client.newAccount('bench');
  const { filename } = await client.upload(user.token); // the fixture image, 7.8 kB
  const target = (base: string): Options => ({
    url: `${base}/images/${encodeURIComponent(filename)}`,
    headers: { authorization: `Bearer ${user.token}` },
    connections: options.connections,
    duration: options.seconds,
  });
  options.progress(`warming up (1 s each)`);
  for (const base of [api, image]) await cannon({ ...target(base), duration: 1 });

  const samples = {
    api: { p50: [] as number[], p99: [] as number[], rps: [] as number[] },
    image: { p50: [] as number[], p99: [] as number[], rps: [] as number[] },
  };
  const overhead: number[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    const order = run % 2 === 0 ? (['api', 'image'] as const) : (['image', 'api'] as const);
    const p50 = { api: Number.NaN, image: Number.NaN };
    for (const via of order) {
      options.progress(
        `run ${run + 1}/${options.runs}: ${options.connections} connections for ${options.seconds} s ${via === 'api' ? 'through the API' : 'straight to the image service'}`,
      );
      const { result, latenciesMs } = await cannon(target(via === 'api' ? api : image));
      if (failures(result) > 0) throw new Error(`GET via ${via}: ${failures(result)} failed requests`);
      p50[via] = percentile(latenciesMs, 50);
      samples[via].p50.push(p50[via]);
      samples[via].p99.push(percentile(latenciesMs, 99));
      samples[via].rps.push(result.requests.total / (result.duration || options.seconds));
    }
    overhead.push(p50.api - p50.image);
    options.progress(
      `run ${run + 1}/${options.runs}: p50 api ${p50.api.toFixed(2)} ms, image ${p50.image.toFixed(2)} ms`,
    );
  }

  // Small reads: what the API serves per second against what S3 alone serves of the same object.
  const s3 = directS3(stack.description);
  const objectKey = `${tokenSubject(user.token)}/${filename}`;
  const reads = { api: [] as number[], direct: [] as number[], ratio: [] as number[] };
  try {
    for (let run = 0; run < options.runs; run += 1) {
      options.progress(
        `run ${run + 1}/${options.runs}: ${options.readConnections} at a time for ${options.seconds} s, through the API and GetObject`,
      );
      const viaApi = async () => {
        const { result } = await cannon({ ...target(api), connections: options.readConnections });
        if (failures(result) > 0) throw new Error(`GET via api: ${failures(result)} failed requests`);
        return result.requests.total / (result.duration || options.seconds);
      };
      const direct = () => s3ReadsPerSecond(() => s3.get(objectKey), options.readConnections, options.seconds);
      const [apiRps, directRps] = await rotated(run, [viaApi, direct]);
      reads.api.push(apiRps);
      reads.direct.push(directRps);
      reads.ratio.push(apiRps / directRps);
      options.progress(
        `run ${run + 1}/${options.runs}: ${apiRps.toFixed(0)} req/s through the API, ${directRps.toFixed(0)} GetObject/s`,
      );
    }
  } finally {
    s3.close();
  }

  const connections = `${options.connections} connections`;
  return [
    ...(['api', 'image'] as const).flatMap((via): Metric[] => {
      const what = via === 'api' ? 'through the API' : 'straight from the image service';
      return [
        {
          name: `gateway.${via}.p50Ms`,
          unit: 'ms',
          samples: samples[via].p50,
          description: `p50 latency of a small authenticated GET ${what}, ${connections}`,
        },
        {
          name: `gateway.${via}.p99Ms`,
          unit: 'ms',
          samples: samples[via].p99,
          description: `p99 latency of the same GET ${what}`,
        },
        {
          name: `gateway.${via}.rps`,
          unit: 'req/s',
          samples: samples[via].rps,
          description: `throughput of the same GET ${what}`,
        },
      ];
    }),
    {
      name: 'gateway.p50OverheadMs',
      unit: 'ms',
      samples: overhead,
      target: { comparison: '<=', value: 0.5 },
      description: 'p50 through the API minus p50 straight from the image service, in each run',
    },
    {
      name: 'reads.api.rps',
      unit: 'req/s',
      samples: reads.api,
      description: `the small authenticated GET through the API, ${options.readConnections} connections`,
    },
    {
      name: 'reads.direct.rps',
      unit: 'req/s',
      samples: reads.direct,
      description: `GetObject of the same object straight from S3, ${options.readConnections} at a time`,
    },
    {
      name: 'reads.ratio',
      unit: 'x',
      samples: reads.ratio,
      target: { comparison: '>=', value: 0.5 },
      description: 'small reads per second through the API / GetObject calls per second, same object and concurrency',
    },
  ];
}

export interface LoginOptions {
  runs: number;
  seconds: number;
  connections: number;
  progress: (message: string) => void;
}

/** The auth service's event-loop delay p99 since the previous scrape (the exporter resets it on each). */
async function eventLoopDelayP99Ms(metricsUrl: string): Promise<number> {
  const response = await request(metricsUrl);
  const sample = parseSamples(await response.body.text()).find(
    ({ name }) => name === 'nodejs_eventloop_delay_p99_seconds',
  );
  return (sample?.value ?? Number.NaN) * 1000;
}

/**
 * POST /login through the API with the production argon2id parameters (the service's own), while
 * the auth service's metrics are scraped every second: the worst one-second p99 event-loop delay.
 */
export async function benchLogin(stack: BenchStack, options: LoginOptions): Promise<Metric[]> {
  const api = stack.description.services.api.url;
  const authMetrics = stack.description.services.auth.metrics;
  const user = await apiClient(api).newAccount('bench');
  const body = JSON.stringify({ username: user.username, password: user.password });
  const rps: number[] = [];
  const p99: number[] = [];
  const delay: number[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    options.progress(
      `run ${run + 1}/${options.runs}: ${options.connections} connections logging in for ${options.seconds} s`,
    );
    await eventLoopDelayP99Ms(authMetrics);
    const windows: number[] = [];
    const scraper = setInterval(() => {
      void eventLoopDelayP99Ms(authMetrics).then(
        (value) => windows.push(value),
        () => undefined,
      );
    }, 1_000);
    const { result, latenciesMs } = await cannon({
      url: `${api}/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: options.connections,
      duration: options.seconds,
    }).finally(() => {
      clearInterval(scraper);
    });
    windows.push(await eventLoopDelayP99Ms(authMetrics));
    if (failures(result) > 0)
      throw new Error(`login: ${failures(result)} failed requests (${JSON.stringify(result.statusCodeStats)})`);
    rps.push(result.requests.total / (result.duration || options.seconds));
    p99.push(percentile(latenciesMs, 99));
    delay.push(Math.max(...windows.filter((value) => Number.isFinite(value))));
    options.progress(
      `run ${run + 1}/${options.runs}: ${rps.at(-1)?.toFixed(1)} logins/s, auth event-loop delay p99 ${delay.at(-1)?.toFixed(1)} ms`,
    );
  }
  return [
    {
      name: 'login.rps',
      unit: 'req/s',
      samples: rps,
      description: `successful logins per second through the API, ${options.connections} connections (argon2id 19 MiB, t=2, p=1)`,
    },
    { name: 'login.p99Ms', unit: 'ms', samples: p99, description: 'p99 latency of those logins' },
    {
      name: 'login.auth.eventLoopDelayP99Ms',
      unit: 'ms',
      samples: delay,
      description: "auth's event-loop delay p99 while logins run (worst 1 s window; 20 ms timer resolution)",
    },
  ];
}

export interface CapacityOptions {
  runs: number;
  /** Length of each step. */
  seconds: number;
  connections: number;
  /** First rate tried (req/s); it doubles until a step fails, then bisects. */
  startRate: number;
  refinements: number;
  progress: (message: string) => void;
}

interface Step {
  rate: number;
  achieved: number;
  p99Ms: number;
  errors: number;
  passed: boolean;
}

/**
 * The highest rate of the read-heavy mix (e2e/load/scenarios.ts, 'reads') whose p99 and error
 * ratio stay within the SLO thresholds (derived from slo/specs/api.yml), and that the stack keeps
 * up with (at least 90% of the offered rate answered). autocannon sends each connection's share of
 * a second at the start of that second, so the load comes in bursts: a harsher test than an even rate.
 */
export async function benchCapacity(stack: BenchStack, options: CapacityOptions): Promise<Metric[]> {
  const api = stack.description.services.api.url;
  const thresholds = sloThresholds();
  const step = async (rate: number, run: number): Promise<Step> => {
    // autocannon's own percentiles are whole milliseconds, and with a rate its coordinated-omission
    // correction assumes a 1 ms interval whatever the rate: keep the raw latencies instead.
    const latenciesMs: number[] = [];
    const result = await runScenario('reads', {
      api,
      seconds: options.seconds,
      connections: options.connections,
      overallRate: rate,
      onInstance: (instance) => {
        instance.on('response', (_client, _status, _bytes, responseTime) => {
          latenciesMs.push(responseTime);
        });
      },
    });
    const achieved = result.requests.total / (result.duration || options.seconds);
    const p99Ms = percentile(latenciesMs, thresholds.latencyPercentile);
    const errors = errorRatio(result);
    const passed = errors <= thresholds.maxErrorRatio && p99Ms < thresholds.maxLatencyMs && achieved >= 0.9 * rate;
    options.progress(
      `run ${run + 1}/${options.runs}: ${rate} req/s offered, ${achieved.toFixed(0)} answered, p${thresholds.latencyPercentile} ${p99Ms.toFixed(0)} ms, ` +
        `errors ${(errors * 100).toFixed(2)}%: ${passed ? 'within the SLOs' : 'outside'}`,
    );
    return { rate, achieved, p99Ms, errors, passed };
  };

  const capacities: number[] = [];
  const p99AtCapacity: number[] = [];
  let start = options.startRate;
  for (let run = 0; run < options.runs; run += 1) {
    let best: Step | undefined;
    let failedRate: number | undefined;
    for (let rate = start; failedRate === undefined; rate *= 2) {
      const result = await step(rate, run);
      if (result.passed) best = result;
      else failedRate = rate;
    }
    let low = best?.rate ?? 0;
    for (let refinement = 0; refinement < options.refinements && failedRate - low > 1; refinement += 1) {
      const rate = Math.round((low + failedRate) / 2);
      const result = await step(rate, run);
      if (result.passed) {
        best = result;
        low = rate;
      } else {
        failedRate = rate;
      }
    }
    capacities.push(best?.rate ?? 0);
    p99AtCapacity.push(best?.p99Ms ?? Number.NaN);
    // Later searches start at half the first answer rather than from the bottom again.
    if (run === 0 && best !== undefined) start = Math.max(options.startRate, Math.round(best.rate / 2));
  }
  return [
    {
      name: 'capacity.readsRps',
      unit: 'req/s',
      samples: capacities,
      description: `highest offered rate of the read mix with p${thresholds.latencyPercentile} < ${thresholds.maxLatencyMs} ms and errors <= ${thresholds.maxErrorRatio * 100}% (${options.seconds} s steps, ${options.connections} connections)`,
    },
    {
      name: 'capacity.p99MsAtCapacity',
      unit: 'ms',
      samples: p99AtCapacity,
      description: 'p99 latency of the read mix at that rate',
    },
  ];
}
