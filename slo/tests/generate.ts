// Writes the promtool unit tests for the generated SLO rules: slo/tests/api.<variant>.test.yml and
// slo/tests/journey.<variant>.test.yml (the journey SLO: its alert conditions and SLI windows; what its SLI
// counts, its outage and its absence alerts are pinned by hand in journey-outcomes.prod.test.yml).
//
//   node slo/tests/generate.ts          write the test files
//   node slo/tests/generate.ts --check  exit 1 if a committed test file differs from what this writes
//
// The expectations here are written independently of the specs and of Sloth (objectives, windows,
// burn factors, labels, annotations are all restated), so a change to a spec or to Sloth's output
// that alters alerting shows up as a failing test, not as a silently regenerated one.
//
// Alert tests feed the SLI recording series (slo:sli_error:ratio_rate<window>) directly, which lets
// every window be set on its own: for each SLO and each of the four multi-window conditions
// (page 14.4x 1h+5m, page 6x 6h+30m, ticket 3x 1d+2h, ticket 1x 3d+6h) the alert
//   - stays quiet while only the short window burns (just above the factor),
//   - stays quiet while only the long window burns,
//   - stays quiet while both windows are just below the factor (0.99x),
//   - fires while both windows are just above the factor (1.01x),
//   - resolves when the short window recovers.
// Recording-rule tests feed raw http_server_request_duration_seconds counters and check every SLI
// window, the metadata rules and the burn rates against ratios computed by hand; one end-to-end test
// drives a real 15x burn through the recording rules into the page and ticket alerts. Edge-traffic
// tests pin what the rules do with absent, zero, interrupted, error-free and very low traffic.
// The long-window files (api.<variant>-long.test.yml) run 31 days of production traffic (8 hours for
// the drill) with bursts placed so every window, the 30-day SLI included, reads a different ratio.
import { readFile, writeFile } from 'node:fs/promises';
import { Document, Scalar } from 'yaml';

type Severity = 'page' | 'ticket';

interface Condition {
  name: string;
  severity: Severity;
  factor: number;
  short: string;
  long: string;
}

interface Variant {
  name: 'prod' | 'drill';
  /** The variant's rules directory, as the test files name it (../rules/<service>.yml). */
  rulesDir: string;
  /** Extra labels the variant's rules carry (sloth --extra-labels). */
  labels: Record<string, string>;
  conditions: Condition[];
  /** Every SLI window the variant records, shortest first. */
  windows: string[];
}

interface Slo {
  /** The spec's service (sloth_service), which names its rules file. */
  service: string;
  id: string;
  slo: string;
  objective: number;
  alertname: string;
  category: string;
  summary: string;
  runbook: string;
}

/** The edge's request counter (edge-availability), by code and method. */
const EDGE_METRIC = 'edge_http_requests_total';
/** The request classes' histograms (packages/runtime request-metrics.ts): latency, and upload-commit. */
const FIRST_BYTE = 'http_server_response_time_to_first_byte_seconds';
const COMMIT = 'http_server_request_commit_duration_seconds';
const DURATION = 'http_server_request_duration_seconds';

/**
 * The request classes' series of a test's input, where the test states only the duration histogram: every first byte as
 * late as the last (small answers), and each upload's commit either under 1 s ('in time': the upload-commit SLI is 0)
 * or as slow as its whole duration ('as its duration': the duration's buckets copied), so the class histograms exist
 * wherever the duration's do.
 */
function withRequestClasses(
  input: { series: string; values: string }[],
  commit: 'in time' | 'as its duration',
): { series: string; values: string }[] {
  return input.flatMap((entry) => {
    if (!entry.series.startsWith(`${DURATION}_`)) return [entry];
    const copies = [entry, { ...entry, series: entry.series.replace(DURATION, FIRST_BYTE) }];
    const upload = entry.series.includes('http_route="/upload"') && entry.series.includes('http_request_method="POST"');
    if (!upload) return copies;
    const committed = entry.series.replace(DURATION, COMMIT);
    if (commit === 'as its duration') return [...copies, { ...entry, series: committed }];
    if (!committed.startsWith(`${COMMIT}_count{`)) return copies;
    const inTime = committed.replace('_count{', '_bucket{').replace(/\}$/, ',le="1"}');
    return [...copies, { ...entry, series: committed }, { ...entry, series: inTime }];
  });
}
/** The labels every spec gives its rules (the spec's `labels`). */
const SERVICE_LABELS = { team: 'platform' };

const SLOS: Slo[] = [
  {
    service: 'api',
    id: 'api-availability',
    slo: 'availability',
    objective: 99.9,
    alertname: 'ApiAvailabilityBudgetBurn',
    category: 'availability',
    summary:
      'The API is answering too many requests with a 5xx: the 30-day availability error budget (99.9%) is burning too fast.',
    runbook: 'slo/RUNBOOK.md#api-availability',
  },
  {
    service: 'api',
    id: 'api-edge-availability',
    slo: 'edge-availability',
    objective: 99.9,
    alertname: 'ApiEdgeAvailabilityBudgetBurn',
    category: 'availability',
    summary:
      "Too many requests at the edge are answered with a 5xx (the ingress's own 502s for an api that is down included): the 30-day edge availability error budget (99.9%) is burning too fast.",
    runbook: 'slo/RUNBOOK.md#api-edge-availability',
  },
  {
    service: 'api',
    id: 'api-latency',
    slo: 'latency',
    objective: 99,
    alertname: 'ApiLatencyBudgetBurn',
    category: 'latency',
    summary:
      'Too many API requests (uploads and logins aside) take 300 ms or more to their first byte: the 30-day latency error budget (99% under 300 ms) is burning too fast.',
    runbook: 'slo/RUNBOOK.md#api-latency',
  },
  {
    service: 'api',
    id: 'api-upload-success',
    slo: 'upload-success',
    objective: 99.5,
    alertname: 'ApiUploadSuccessBudgetBurn',
    category: 'availability',
    summary: 'Too many uploads fail with a 5xx: the 30-day upload success error budget (99.5%) is burning too fast.',
    runbook: 'slo/RUNBOOK.md#api-upload-success',
  },
  {
    service: 'api',
    id: 'api-upload-commit',
    slo: 'upload-commit',
    objective: 99,
    alertname: 'ApiUploadCommitBudgetBurn',
    category: 'latency',
    summary:
      'Too many uploads take 1 s or more from their last byte to their answer: the 30-day upload commit error budget (99% under 1 s) is burning too fast.',
    runbook: 'slo/RUNBOOK.md#api-upload-commit',
  },
  {
    service: 'api',
    id: 'api-login-availability',
    slo: 'login-availability',
    objective: 99.9,
    alertname: 'ApiLoginAvailabilityBudgetBurn',
    category: 'availability',
    summary: 'Too many logins fail with a 5xx: the 30-day login availability error budget (99.9%) is burning too fast.',
    runbook: 'slo/RUNBOOK.md#api-login-availability',
  },
  {
    service: 'api',
    id: 'api-login-latency',
    slo: 'login-latency',
    objective: 99,
    alertname: 'ApiLoginLatencyBudgetBurn',
    category: 'latency',
    summary:
      'Too many logins take 1 s or more: the 30-day login latency error budget (99% under 1 s) is burning too fast.',
    runbook: 'slo/RUNBOOK.md#api-login-latency',
  },
];

// slo/specs/journey.yml: the prober's journeys that got their bytes back, and its large uploads that were fast.
const JOURNEY_SLOS: Slo[] = [
  {
    service: 'journey',
    id: 'journey-bytes-back',
    slo: 'bytes-back',
    objective: 99.5,
    alertname: 'JourneyBytesBackBudgetBurn',
    category: 'durability',
    summary:
      "Too many of the prober's journeys through the edge did not get their bytes back: the 30-day journey error budget (99.5%) is burning too fast.",
    runbook: 'slo/RUNBOOK.md#journey-bytes-back',
  },
  {
    service: 'journey',
    id: 'journey-large-upload-throughput',
    slo: 'large-upload-throughput',
    objective: 95,
    alertname: 'JourneyLargeUploadThroughputBudgetBurn',
    category: 'latency',
    summary:
      "Too many of the prober's 8 MiB uploads through the edge are slower than 10 MiB/s or fail: the 30-day large-upload throughput error budget (95%) is burning too fast.",
    runbook: 'slo/RUNBOOK.md#journey-large-upload-throughput',
  },
];

const VARIANTS: Variant[] = [
  {
    name: 'prod',
    rulesDir: '../rules',
    labels: {},
    conditions: [
      { name: 'page quick', severity: 'page', factor: 14.4, short: '5m', long: '1h' },
      { name: 'page slow', severity: 'page', factor: 6, short: '30m', long: '6h' },
      { name: 'ticket quick', severity: 'ticket', factor: 3, short: '2h', long: '1d' },
      { name: 'ticket slow', severity: 'ticket', factor: 1, short: '6h', long: '3d' },
    ],
    windows: ['5m', '30m', '1h', '2h', '6h', '1d', '3d'],
  },
  {
    // slo/windows/drill-30d.yaml: the same factors over windows ten times shorter (both page
    // conditions share the 1m short window).
    name: 'drill',
    rulesDir: '../rules-drill',
    labels: { slo_variant: 'drill' },
    conditions: [
      { name: 'page quick', severity: 'page', factor: 14.4, short: '1m', long: '6m' },
      { name: 'page slow', severity: 'page', factor: 6, short: '1m', long: '36m' },
      { name: 'ticket quick', severity: 'ticket', factor: 3, short: '12m', long: '2h24m' },
      { name: 'ticket slow', severity: 'ticket', factor: 1, short: '36m', long: '7h12m' },
    ],
    windows: ['1m', '6m', '12m', '36m', '2h24m', '7h12m'],
  },
];

/** One promtool test group, and the lines of the comment written above it. */
interface Group {
  comment: string[];
  test: object;
}

/** 1 - objective, as Prometheus computes it (Sloth writes the objective as a ratio, 0.999). */
function budget(slo: Slo): number {
  return 1 - slo.objective / 100;
}

function matchers(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}="${labels[key] ?? ''}"`)
    .join(', ');
}

function selector(name: string, labels: Record<string, string>): string {
  return `${name}{${matchers(labels)}}`;
}

function sloLabels(slo: Slo, variant: Variant): Record<string, string> {
  return { ...SERVICE_LABELS, ...variant.labels, sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.slo };
}

/** A value written with a precision that keeps "just above" above and "just below" below. */
function value(ratio: number): string {
  return String(Number(ratio.toPrecision(8)));
}

const SEGMENT = 10; // minutes per phase of an alert scenario (interval 1m)

interface Phase {
  description: string;
  short: number;
  long: number;
  fires: boolean;
}

function alertScenario(slo: Slo, variant: Variant, condition: Condition): Group {
  const threshold = condition.factor * budget(slo);
  const above = threshold * 1.01;
  const below = threshold * 0.99;
  const phases: Phase[] = [
    { description: 'no errors', short: 0, long: 0, fires: false },
    { description: `only the short window (${condition.short}) burns`, short: above, long: 0, fires: false },
    { description: `only the long window (${condition.long}) burns`, short: 0, long: above, fires: false },
    {
      description: `both windows just below ${String(condition.factor)}x (0.99x)`,
      short: below,
      long: below,
      fires: false,
    },
    {
      description: `both windows just above ${String(condition.factor)}x (1.01x): fires`,
      short: above,
      long: above,
      fires: true,
    },
    { description: 'the short window recovers: resolved', short: 0, long: above, fires: false },
  ];
  const labels = sloLabels(slo, variant);
  const seriesFor = (window: string): string => {
    const values = phases.map((phase) => {
      const ratio = window === condition.short ? phase.short : window === condition.long ? phase.long : 0;
      return `${value(ratio)}+0x${String(SEGMENT - 1)}`;
    });
    return values.join(' ');
  };
  const input = variant.windows.map((window) => ({
    series: selector(`slo:sli_error:ratio_rate${window}`, { ...labels, sloth_window: window }),
    values: seriesFor(window),
  }));
  const alertLabels: Record<string, string> = {
    ...labels,
    category: slo.category,
    severity: condition.severity,
    sloth_severity: condition.severity,
  };
  const annotations = {
    runbook: slo.runbook,
    summary: slo.summary,
    title: `(${condition.severity}) ${slo.service} ${slo.slo} SLO error budget burn rate is too fast.`,
  };
  const alertTests: object[] = [];
  phases.forEach((phase, index) => {
    const at = `${String(index * SEGMENT + SEGMENT / 2)}m`;
    // Page and ticket alerts share the alertname, so each check also proves that the alert of the
    // other severity stays quiet.
    alertTests.push({
      eval_time: at,
      alertname: slo.alertname,
      exp_alerts: phase.fires ? [{ exp_labels: alertLabels, exp_annotations: annotations }] : [],
    });
  });
  const factor = String(condition.factor);
  const description = phases.map((phase, index) => `${String(index * SEGMENT)}m: ${phase.description}`).join('; ');
  return {
    comment: [
      `${slo.id}, ${condition.name} (${factor}x over ${condition.long} and ${condition.short}): ${description}`,
    ],
    test: {
      name: `${slo.id} ${condition.name} ${factor}x ${condition.long}+${condition.short}`,
      interval: '1m',
      input_series: input,
      alert_rule_test: alertTests,
    },
  };
}

// Raw traffic for the recording-rule tests, per minute (one sample every 30 seconds, so /2).
// job="api" unless said otherwise. The request classes' histograms: time to first byte under 0.3 s is the
// "under 0.3 s" column unless the first byte came sooner (a download's headers: /images/:filename's 99 of
// 100, against 97 of 100 whole downloads); the commit (POST requests only: their body's last byte to the
// answer) is under 1 s for 192 of the 195 stored uploads and the 5 failed ones, and for no login.
//   route             method code  count/min  under 0.3 s  under 1 s
//   /login            POST   200      86          80          84   (logins are outside the latency SLO)
//   /login            POST   401      10          10          10   (a 4xx is not an error)
//   /login            POST   500       4           4           4
//   /upload           POST   201     195           0           0   (uploads are outside the latency SLO)
//   /upload           POST   503       5           0           0
//   /images/:filename GET    200     100          97         100
//   unmatched         GET    404     100         100         100   (paths the API does not serve are outside every SLO)
//   unmatched         GET    503      50           0           0
//   /images           OPTIONS 503     50           0           0   (CORS preflights too)
//   /upload           OPTIONS 503     50           0           0
//   /login            OPTIONS 503     50           0           0
//   /healthz          GET    503    1000           0           0   (health checks are outside every SLO)
//   /readyz           GET    503    1000           0           0
//   /login (job=auth) POST   500    1000           0           0   (other services)
//   /upload (job=image) POST 500    1000           0           0
// And at the edge (edge_http_requests_total, job="edge" unless said otherwise):
//   code method count/min
//   200  GET      386
//   404  GET        5   (a 4xx is not an error)
//   502  GET        6   (the edge's own: the api did not answer)
//   503  POST       3
//   499  GET      100   (the client left: outside the SLI)
//   500  GET     1000   job="other"
// availability:  5xx 4+5 of 86+10+4+195+5+100 = 9/400 = 0.0225
// edge:          5xx 6+3 of 386+5+6+3 = 9/400 = 0.0225
// latency:       /images only, to the first byte: 1/100 = 0.01 (to the last byte 3/100; with the logins 7/200)
// upload commit: 200 - (192+5) = 3/200 = 0.015 (with the logins' commits it would be 103/300)
// upload:        5/200 = 0.025
// login:         4/(86+10+4) = 0.04
// login latency: 100 - (84+10+4) = 2/100 = 0.02
interface Traffic {
  job: string;
  route: string;
  method: string;
  code: string;
  perMinute: number;
  fast: number;
  /** Requests under 1 s (the login latency class). */
  underSecond: number;
  /** Responses whose first byte came in under 0.3 s, when that is more than `fast`. */
  firstByteFast?: number;
  /** POST requests whose answer came under 1 s after their body's last byte. */
  committed?: number;
}
const TRAFFIC: Traffic[] = [
  { job: 'api', route: '/login', method: 'POST', code: '200', perMinute: 86, fast: 80, underSecond: 84, committed: 0 },
  { job: 'api', route: '/login', method: 'POST', code: '401', perMinute: 10, fast: 10, underSecond: 10, committed: 0 },
  { job: 'api', route: '/login', method: 'POST', code: '500', perMinute: 4, fast: 4, underSecond: 4, committed: 0 },
  {
    job: 'api',
    route: '/upload',
    method: 'POST',
    code: '201',
    perMinute: 195,
    fast: 0,
    underSecond: 0,
    committed: 192,
  },
  { job: 'api', route: '/upload', method: 'POST', code: '503', perMinute: 5, fast: 0, underSecond: 0, committed: 5 },
  {
    job: 'api',
    route: '/images/:filename',
    method: 'GET',
    code: '200',
    perMinute: 100,
    fast: 97,
    underSecond: 100,
    firstByteFast: 99,
  },
  { job: 'api', route: 'unmatched', method: 'GET', code: '404', perMinute: 100, fast: 100, underSecond: 100 },
  { job: 'api', route: 'unmatched', method: 'GET', code: '503', perMinute: 50, fast: 0, underSecond: 0 },
  { job: 'api', route: '/images', method: 'OPTIONS', code: '503', perMinute: 50, fast: 0, underSecond: 0 },
  { job: 'api', route: '/upload', method: 'OPTIONS', code: '503', perMinute: 50, fast: 0, underSecond: 0 },
  { job: 'api', route: '/login', method: 'OPTIONS', code: '503', perMinute: 50, fast: 0, underSecond: 0 },
  { job: 'api', route: '/healthz', method: 'GET', code: '503', perMinute: 1000, fast: 0, underSecond: 0 },
  { job: 'api', route: '/readyz', method: 'GET', code: '503', perMinute: 1000, fast: 0, underSecond: 0 },
  { job: 'auth', route: '/login', method: 'POST', code: '500', perMinute: 1000, fast: 0, underSecond: 0 },
  { job: 'image', route: '/upload', method: 'POST', code: '500', perMinute: 1000, fast: 0, underSecond: 0 },
];
const EDGE_TRAFFIC: { job: string; code: string; method: string; perMinute: number }[] = [
  { job: 'edge', code: '200', method: 'GET', perMinute: 386 },
  { job: 'edge', code: '404', method: 'GET', perMinute: 5 },
  { job: 'edge', code: '502', method: 'GET', perMinute: 6 },
  { job: 'edge', code: '503', method: 'POST', perMinute: 3 },
  { job: 'edge', code: '499', method: 'GET', perMinute: 100 },
  { job: 'other', code: '500', method: 'GET', perMinute: 1000 },
];
const EXPECTED_ERROR_RATIO: Record<string, number> = {
  'api-availability': 0.0225,
  'api-edge-availability': 0.0225,
  'api-latency': 0.01,
  'api-upload-commit': 0.015,
  'api-upload-success': 0.025,
  'api-login-availability': 0.04,
  'api-login-latency': 0.02,
};

const SCALE = 1e6; // ratios are compared as round(ratio * 1e6): exact integers, no float noise

function recordingTest(variant: Variant): Group {
  // 2h10m of traffic, one sample every 30 s, checked at 2h. The longer windows (up to 3d) see less
  // data than they span; every series starts at the same time, so rate() extrapolates numerator and
  // denominator alike and the ratio is still exact. (3 days of traffic would make promtool take
  // minutes for no extra assurance.)
  const steps = 260;
  const evalMinutes = 120;
  const input: object[] = [];
  for (const traffic of TRAFFIC) {
    const labels = {
      job: traffic.job,
      http_route: traffic.route,
      http_request_method: traffic.method,
      http_response_status_code: traffic.code,
    };
    input.push({
      series: selector('http_server_request_duration_seconds_count', labels),
      values: `0+${String(traffic.perMinute / 2)}x${String(steps)}`,
    });
    input.push({
      series: selector('http_server_request_duration_seconds_bucket', { ...labels, le: '0.3' }),
      values: `0+${String(traffic.fast / 2)}x${String(steps)}`,
    });
    input.push({
      series: selector('http_server_request_duration_seconds_bucket', { ...labels, le: '1' }),
      values: `0+${String(traffic.underSecond / 2)}x${String(steps)}`,
    });
    // A wider bucket, all requests: an SLI that read the wrong bucket would see no errors.
    input.push({
      series: selector('http_server_request_duration_seconds_bucket', { ...labels, le: '2.5' }),
      values: `0+${String(traffic.perMinute / 2)}x${String(steps)}`,
    });
    const counter = (perMinute: number) => `0+${String(perMinute / 2)}x${String(steps)}`;
    const firstByte = (le: string, perMinute: number) => ({
      series: selector(`${FIRST_BYTE}_${le === '' ? 'count' : 'bucket'}`, le === '' ? labels : { ...labels, le }),
      values: counter(perMinute),
    });
    input.push(
      firstByte('', traffic.perMinute),
      firstByte('0.3', traffic.firstByteFast ?? traffic.fast),
      firstByte('1', traffic.underSecond),
      firstByte('2.5', traffic.perMinute),
    );
    if (traffic.committed !== undefined) {
      input.push(
        { series: selector(`${COMMIT}_count`, labels), values: counter(traffic.perMinute) },
        { series: selector(`${COMMIT}_bucket`, { ...labels, le: '1' }), values: counter(traffic.committed) },
        { series: selector(`${COMMIT}_bucket`, { ...labels, le: '2.5' }), values: counter(traffic.perMinute) },
      );
    }
  }
  for (const { perMinute, ...labels } of EDGE_TRAFFIC) {
    input.push({ series: selector(EDGE_METRIC, labels), values: `0+${String(perMinute / 2)}x${String(steps)}` });
  }
  const tests = SLOS.flatMap((slo) =>
    recordingChecks(slo, variant, EXPECTED_ERROR_RATIO[slo.id] ?? Number.NaN, `${String(evalMinutes)}m`),
  );
  return {
    comment: [
      'Recording rules: every SLI window, the 30-day SLI, metadata and burn rates, from raw counters.',
      'Traffic (per minute): see slo/tests/generate.ts. Expected error ratios: availability 0.0225, edge',
      '0.0225, latency 0.01, upload 0.025, upload commit 0.015, login 0.04, login latency 0.02; compared as',
      'round(ratio * 1e6).',
    ],
    test: {
      name: `${variant.name}: recording rules from raw traffic`,
      interval: '30s',
      input_series: input,
      promql_expr_test: tests,
    },
  };
}

/** What an SLO's recording rules must read at `at` when every window's error ratio is `ratio`. */
function recordingChecks(slo: Slo, variant: Variant, ratio: number, at: string): object[] {
  const tests: object[] = [];
  {
    const labels = sloLabels(slo, variant);
    const sel = (name: string): string => selector(name, labels);
    tests.push({
      expr: `round({__name__=~"slo:sli_error:ratio_rate.+", ${matchers(labels)}} * ${String(SCALE)})`,
      eval_time: at,
      exp_samples: [...variant.windows, '30d'].map((window) => ({
        labels: selector('', { ...labels, sloth_window: window }),
        value: Math.round(ratio * SCALE),
      })),
    });
    const burn = ratio / budget(slo);
    // The burn rates keep the window they were computed over: the current one is the shortest SLI
    // window, the period one the 30-day SLI.
    const shortest = variant.windows[0] ?? '';
    const meta: [string, number, Record<string, string>][] = [
      ['slo:objective:ratio', slo.objective / 100, {}],
      ['slo:error_budget:ratio', budget(slo), {}],
      ['slo:time_period:days', 30, {}],
      ['slo:current_burn_rate:ratio', burn, { sloth_window: shortest }],
      ['slo:period_burn_rate:ratio', burn, { sloth_window: '30d' }],
      ['slo:period_error_budget_remaining:ratio', 1 - burn, { sloth_window: '30d' }],
    ];
    for (const [name, expected, extra] of meta) {
      tests.push({
        expr: `round(${sel(name)} * ${String(SCALE)})`,
        eval_time: at,
        exp_samples: [{ labels: selector('', { ...labels, ...extra }), value: Math.round(expected * SCALE) }],
      });
    }
    tests.push({
      expr: `sloth_slo_info{sloth_id="${slo.id}"}`,
      eval_time: at,
      exp_samples: [
        {
          labels: selector('sloth_slo_info', {
            ...labels,
            sloth_mode: 'cli-gen-prom',
            sloth_objective: String(slo.objective),
            sloth_spec: 'prometheus/v1',
            sloth_version: SLOTH_VERSION,
          }),
          value: 1,
        },
      ],
    });
  }
  return tests;
}

/**
 * The journey SLOs' recording rules from raw prober counters, per minute (a sample every 30 s). Journeys: 15
 * success, 3 delete_failed (the bytes came back: good), 1 checksum_mismatch and 1 login_failed (errors). Large
 * uploads: 18 fast, 1 slow and 1 failed (errors). And another job's failures, which are not the prober's. Both
 * SLIs read 2 errors in 20, 0.1 in every window.
 */
function journeyRecordingTest(variant: Variant): Group {
  const perMinute: [string, string, string, number][] = [
    ['prober_journeys_total', 'prober', 'success', 15],
    ['prober_journeys_total', 'prober', 'delete_failed', 3],
    ['prober_journeys_total', 'prober', 'checksum_mismatch', 1],
    ['prober_journeys_total', 'prober', 'login_failed', 1],
    ['prober_journeys_total', 'api', 'upload_failed', 100],
    ['prober_large_uploads_total', 'prober', 'fast', 18],
    ['prober_large_uploads_total', 'prober', 'slow', 1],
    ['prober_large_uploads_total', 'prober', 'failed', 1],
    ['prober_large_uploads_total', 'api', 'slow', 100],
  ];
  return {
    comment: [
      'Recording rules: every SLI window, the 30-day SLI, metadata and burn rates, from raw prober counters.',
      'Per minute: journeys 15 success, 3 delete_failed (good), 1 checksum_mismatch and 1 login_failed (errors);',
      "large uploads 18 fast, 1 slow, 1 failed (errors); and another job's failures: 2 of 20 in every window;",
      'compared as round(ratio * 1e6).',
    ],
    test: {
      name: `${variant.name}: journey recording rules from raw journeys`,
      interval: '30s',
      input_series: perMinute.map(([metric, job, outcome, count]) => ({
        series: selector(metric, { job, outcome }),
        values: `0+${String(count / 2)}x260`,
      })),
      promql_expr_test: JOURNEY_SLOS.flatMap((slo) => recordingChecks(slo, variant, 0.1, '120m')),
    },
  };
}

/**
 * Ten minutes without a journey (the prober restarting), then journeys again: the shortest windows were NaN
 * while nothing came, but the 30-day SLI counts journeys, so it stays 0 (a mean of the shortest window's
 * ratios would be NaN for 30 days).
 */
function journeyQuietGapTest(variant: Variant): Group {
  return {
    comment: [
      'Ten minutes without a journey, then journeys again: the 30-day SLI counts journeys, not the ratios of a',
      'shorter window, so it stays 0 and the whole budget is left.',
    ],
    test: {
      name: `${variant.name}: ten quiet minutes leave the 30-day journey SLI a number`,
      interval: '1m',
      input_series: JOURNEY_SLO_RAW.flatMap((raw) => [
        { series: raw.good, values: '0+2x60 120+0x10 122+2x59' },
        { series: raw.bad, values: '0+0x130' },
      ]),
      promql_expr_test: JOURNEY_SLOS.flatMap((slo) => {
        const labels = sloLabels(slo, variant);
        return [
          {
            expr: selector('slo:sli_error:ratio_rate30d', labels),
            eval_time: '130m',
            exp_samples: [
              { labels: selector('slo:sli_error:ratio_rate30d', { ...labels, sloth_window: '30d' }), value: 0 },
            ],
          },
        ];
      }),
    },
  };
}

/** No error series at all, only successful journeys: every SLI window is 0, not absent (`or vector(0)`). */
function journeyNoErrorSeriesTest(variant: Variant): Group {
  return {
    comment: ['No error series at all: only successful journeys. Every SLI is 0, not absent (`or vector(0)`).'],
    test: {
      name: `${variant.name}: no error series, every journey SLI is 0`,
      interval: '1m',
      input_series: JOURNEY_SLO_RAW.map((raw) => ({ series: raw.good, values: '0+2x60' })),
      promql_expr_test: JOURNEY_SLOS.map((slo) => ({
        expr: `{__name__=~"slo:sli_error:ratio_rate.+", ${matchers(sloLabels(slo, variant))}}`,
        eval_time: '60m',
        exp_samples: [...variant.windows, '30d'].map((window) => ({
          labels: selector(`slo:sli_error:ratio_rate${window}`, { ...sloLabels(slo, variant), sloth_window: window }),
          value: 0,
        })),
      })),
    },
  };
}

/** Minutes in a Prometheus duration such as 5m, 2h24m, 1d. */
function minutes(duration: string): number {
  const units: Record<string, number> = { m: 1, h: 60, d: 1440 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)([mhd])/g))
    total += Number(amount) * (units[unit ?? ''] ?? Number.NaN);
  return total;
}

/** One SLI's raw counters: a good event's series and a bad one's. */
interface RawSli {
  good: string;
  bad: string;
}

const API_LOGINS = { job: 'api', http_route: '/login', http_request_method: 'POST' };
/** The availability SLI's: logins answered 200 and 500. */
const API_RAW: RawSli = {
  good: selector('http_server_request_duration_seconds_count', { ...API_LOGINS, http_response_status_code: '200' }),
  bad: selector('http_server_request_duration_seconds_count', { ...API_LOGINS, http_response_status_code: '500' }),
};
/** The journey SLI's: journeys that succeeded and journeys whose upload failed. */
const JOURNEY_RAW: RawSli = {
  good: selector('prober_journeys_total', { job: 'prober', outcome: 'success' }),
  bad: selector('prober_journeys_total', { job: 'prober', outcome: 'upload_failed' }),
};
/** The large-upload throughput SLI's: large uploads that were fast and large uploads that were slow. */
const LARGE_UPLOAD_RAW: RawSli = {
  good: selector('prober_large_uploads_total', { job: 'prober', outcome: 'fast' }),
  bad: selector('prober_large_uploads_total', { job: 'prober', outcome: 'slow' }),
};
/** Each journey SLO's raw counters, in JOURNEY_SLOS' order. */
const JOURNEY_SLO_RAW: RawSli[] = [JOURNEY_RAW, LARGE_UPLOAD_RAW];

/**
 * Each SLI window covers what its name says: constant traffic for 2h10m whose last 10 minutes fail
 * at 10%, so every window sees a different error ratio (errors over min(window, 10m), traffic over
 * min(window, 2h10m): the windows longer than the data see all of it).
 */
function windowLengthTest(variant: Variant, slo: Slo | undefined, raw: RawSli): Group | undefined {
  if (slo === undefined) return undefined;
  const labels = sloLabels(slo, variant);
  // One sample every 30 s: 1200 events a minute; from 120m to 130m, 120 of them are errors.
  const ok = '0+600x240 144540+540x19';
  const errors = '0+0x240 60+60x19';
  const windows = `sloth_window!="30d", ${matchers(labels)}`;
  const expected = (window: string): number => {
    const length = minutes(window);
    return Math.round(((Math.min(length, 10) * 120) / (Math.min(length, 130) * 1200)) * SCALE);
  };
  return {
    comment: [
      'SLI windows: 2h10m of traffic whose last 10 minutes fail at 10%; each window sees errors over',
      'min(window, 10m) and traffic over min(window, 2h10m), so a window of the wrong length shows.',
    ],
    test: {
      name: `${variant.name}: every ${slo.id} SLI window covers its own length`,
      interval: '30s',
      input_series: [
        { series: raw.good, values: ok },
        { series: raw.bad, values: errors },
      ],
      promql_expr_test: [
        {
          expr: `round({__name__=~"slo:sli_error:ratio_rate.+", ${windows}} * ${String(SCALE)})`,
          eval_time: '130m',
          exp_samples: variant.windows.map((window) => ({
            labels: selector('', { ...labels, sloth_window: window }),
            value: expected(window),
          })),
        },
      ],
    },
  };
}

/** The alert an SLO raises at a severity, with its labels and annotations restated. */
function expectedAlert(slo: Slo, variant: Variant, severity: Severity): object {
  return {
    exp_labels: { ...sloLabels(slo, variant), category: slo.category, severity, sloth_severity: severity },
    exp_annotations: {
      runbook: slo.runbook,
      summary: slo.summary,
      title: `(${severity}) ${slo.service} ${slo.slo} SLO error budget burn rate is too fast.`,
    },
  };
}

/** A counter in promtool's expanding notation from its increment at every step ('0 5+5x9 60+0x3'). */
function counter(increments: number[]): string {
  const tokens = ['0'];
  let total = 0;
  let index = 0;
  while (index < increments.length) {
    const increment = increments[index] ?? 0;
    let end = index;
    while (end + 1 < increments.length && increments[end + 1] === increment) end += 1;
    total += increment;
    tokens.push(`${String(total)}+${String(increment)}x${String(end - index)}`);
    total += increment * (end - index);
    index = end + 1;
  }
  return tokens.join(' ');
}

// Long windows: about 31 days of traffic (8 hours for the drill, whose longest window is 7h12m), so
// that every SLI window, the 30-day SLI included, sees a different error ratio and a window of the
// wrong length shows. Every API route the SLOs count gets the same traffic, so all four SLOs see the
// same error ratios: per step, 1000 POST /login (the errors are 500s, and slow: not under 0.3 s) and
// 1000 POST /upload (the errors are 503s). On top of a clean baseline, one burst of errors sits in
// each window's own stretch of time (older than the next shorter window, so only this window and the
// longer ones see it), one in the 30-day period beyond the longest window, and for production one more
// than 30 days ago, which no window may see.
//
// Every window W evaluated at T covers the steps ending in (T - W, T]: promtool 2.x selects a range
// inclusively, so the sample at T - W opens the range and rate() needs no extrapolation (under
// Prometheus 3's left-open ranges a 5-minute window over 5-minute samples would hold one sample and
// give nothing: the step would have to shrink). The 30-day SLI is errors over requests in the steps
// of (T - 30d, T] (all the steps, when the run is shorter).
interface LongRun {
  file: string;
  /** Minutes between samples. */
  step: number;
  /** Minutes between rule evaluations (the file's evaluation_interval). */
  evaluation: number;
  /** Minutes of traffic; the test evaluates at the end. */
  length: number;
  /** Errors per step and route in the burst of each window, shortest first, then the 30-day period's. */
  bursts: number[];
  /** Errors per step and route in a burst older than 30 days (production only). */
  beyondPeriod?: number;
}

// Production evaluates once an hour: every check is at the end, and no rule reads an earlier
// evaluation (the 30-day SLI reads the raw counters), so more evaluations would only cost time: each
// reads 30 days of samples.
const LONG_RUNS: Record<Variant['name'], LongRun> = {
  prod: {
    file: 'api.prod-long.test.yml',
    step: 5,
    evaluation: 60,
    length: 31 * 1440,
    bursts: [9, 6, 8, 3, 3, 2, 3, 1],
    beyondPeriod: 20,
  },
  drill: { file: 'api.drill-long.test.yml', step: 1, evaluation: 1, length: 8 * 60, bursts: [9, 6, 8, 3, 3, 2, 1] },
};
// The journey's: production over 8 days, not 31 (its bursts still tell every window apart, the 30-day SLI
// from a 7-day one included), which keeps its mutants within seconds; the drill's as the API's.
const JOURNEY_LONG_RUNS: Record<Variant['name'], LongRun> = {
  prod: {
    file: 'journey.prod-long.test.yml',
    step: 5,
    evaluation: 60,
    length: 8 * 1440,
    bursts: [9, 6, 8, 3, 3, 2, 3, 1],
  },
  drill: {
    file: 'journey.drill-long.test.yml',
    step: 1,
    evaluation: 1,
    length: 8 * 60,
    bursts: [9, 6, 8, 3, 3, 2, 1],
  },
};
const LONG_REQUESTS = 1000; // per step and route
const PERIOD = 30 * 1440;

interface LongTraffic {
  /** Errors per step and route; index i is the step ending at (i + 1) * step minutes. */
  errors: number[];
  /** The error ratio of a window (minutes) evaluated `ago` minutes before the end. */
  ratio: (window: number, ago: number) => number;
  /** The 30-day SLI evaluated `ago` minutes before the end: errors over requests in its 30 days. */
  period: (ago: number) => number;
  /** The bursts, for the comment. */
  described: string[];
}

function longTraffic(variant: Variant, run: LongRun): LongTraffic {
  const steps = run.length / run.step;
  const errors = Array.from({ length: steps }, () => 0);
  const described: string[] = [];
  // A burst over the steps ending between `from` (inclusive) and `to` (exclusive) minutes before the end.
  const burst = (from: number, to: number, perStep: number): void => {
    for (let ago = from; ago < to; ago += run.step) errors[steps - 1 - ago / run.step] = perStep;
    described.push(`${String(perStep)} errors per step, ${duration(to)} to ${duration(from)} before the end`);
  };
  const windows = variant.windows.map(minutes);
  const spans = [...windows, Math.min(PERIOD, run.length)];
  spans.forEach((span, index) => {
    const shorter = index === 0 ? 0 : (spans[index - 1] ?? 0);
    // The older half of the window's own stretch (at least one step).
    const from = shorter + Math.floor((span - shorter) / 2 / run.step) * run.step;
    burst(from, Math.max(from + run.step, span), run.bursts[index] ?? 0);
  });
  if (run.beyondPeriod !== undefined) burst(PERIOD + run.step, run.length, run.beyondPeriod);
  if ((windows.at(-1) ?? 0) + run.evaluation > run.length) throw new Error(`${variant.name}: the run is too short`);
  // A window evaluated at T - ago covers the steps ending in (T - ago - window, T - ago].
  const ratio = (window: number, ago: number): number => {
    const covered = errors.slice(steps - (ago + window) / run.step, steps - ago / run.step);
    return covered.reduce((sum, value) => sum + value, 0) / (covered.length * LONG_REQUESTS);
  };
  const period = (ago: number): number => ratio(Math.min(PERIOD, run.length - ago), ago);
  return { errors, ratio, period, described };
}

/** A Prometheus duration from minutes: 2d, 7h12m, 45m. */
function duration(total: number): string {
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const rest = total % 60;
  const parts = [days ? `${String(days)}d` : '', hours ? `${String(hours)}h` : '', rest ? `${String(rest)}m` : ''];
  return parts.join('') || '0m';
}

/** round(ratio * SCALE), refusing a ratio that lands within float noise of a rounding boundary. */
function scaled(ratio: number, what: string): number {
  const raw = ratio * SCALE;
  if (Math.abs(raw - Math.floor(raw) - 0.5) < 1e-6) throw new Error(`${what}: ${String(ratio)} rounds ambiguously`);
  return Math.round(raw);
}

/** The raw series of a long run: good and bad events per step (counters in promtool's notation). */
type LongInput = (good: number[], errors: number[], steps: number) => { series: string; values: string }[];

/** The API's: every route, and the edge, gets the same errors (slow 5xx), so every SLO reads the same ratio. */
const apiLongInput: LongInput = (good, errors, steps) => {
  const input: { series: string; values: string }[] = [];
  for (const [route, method, ok, failed] of [
    ['/login', 'POST', '200', '500'],
    ['/upload', 'POST', '201', '503'],
    ['/images/:filename', 'GET', '200', '503'],
  ] as const) {
    const labels = { job: 'api', http_route: route, http_request_method: method };
    const count = (code: string): string =>
      selector('http_server_request_duration_seconds_count', { ...labels, http_response_status_code: code });
    const under = (code: string, le: string): string =>
      selector('http_server_request_duration_seconds_bucket', { ...labels, http_response_status_code: code, le });
    input.push({ series: count(ok), values: counter(good) }, { series: count(failed), values: counter(errors) });
    for (const le of ['0.3', '1'])
      input.push(
        { series: under(ok, le), values: counter(good) },
        { series: under(failed, le), values: `0+0x${String(steps)}` },
      );
  }
  const edge = (code: string): string => selector(EDGE_METRIC, { job: 'edge', code, method: 'GET' });
  input.push({ series: edge('200'), values: counter(good) }, { series: edge('502'), values: counter(errors) });
  return input;
};

/** The journey's: successful journeys and journeys whose upload failed, fast and slow large uploads alike. */
const journeyLongInput: LongInput = (good, errors) =>
  JOURNEY_SLO_RAW.flatMap((raw) => [
    { series: raw.good, values: counter(good) },
    { series: raw.bad, values: counter(errors) },
  ]);

function longWindowTest(variant: Variant, run: LongRun, slos: Slo[], inputFor: LongInput): Group {
  const traffic = longTraffic(variant, run);
  const steps = run.length / run.step;
  const good = traffic.errors.map((errors) => LONG_REQUESTS - errors);
  const input = inputFor(good, traffic.errors, steps);
  const end = `${String(run.length)}m`;
  const windows = [...variant.windows, '30d'];
  const shortest = variant.windows[0] ?? '';
  // The SLIs at an evaluation `ago` minutes before the end, by window.
  const slisAt = (ago: number): Record<string, number> =>
    Object.fromEntries(
      windows.map((window) => [window, window === '30d' ? traffic.period(ago) : traffic.ratio(minutes(window), ago)]),
    );
  const now = slisAt(0);
  const tests: object[] = [];
  const alerts: object[] = [];
  const firing: string[] = [];
  for (const slo of slos) {
    const labels = sloLabels(slo, variant);
    tests.push({
      expr: `round({__name__=~"slo:sli_error:ratio_rate.+", ${matchers(labels)}} * ${String(SCALE)})`,
      eval_time: end,
      exp_samples: windows.map((window) => ({
        labels: selector('', { ...labels, sloth_window: window }),
        value: scaled(now[window] ?? Number.NaN, `${slo.id} ${window}`),
      })),
    });
    const current = (now[shortest] ?? Number.NaN) / budget(slo);
    const period = (now['30d'] ?? Number.NaN) / budget(slo);
    const burns: [string, number, Record<string, string>][] = [
      ['slo:current_burn_rate:ratio', current, { sloth_window: shortest }],
      ['slo:period_burn_rate:ratio', period, { sloth_window: '30d' }],
      ['slo:period_error_budget_remaining:ratio', 1 - period, { sloth_window: '30d' }],
    ];
    for (const [name, expected, extra] of burns) {
      tests.push({
        expr: `round(${selector(name, labels)} * ${String(SCALE)})`,
        eval_time: end,
        exp_samples: [{ labels: selector('', { ...labels, ...extra }), value: scaled(expected, `${slo.id} ${name}`) }],
      });
    }
    // Which conditions hold, restated: both windows over factor x budget (refusing a near tie).
    const holds = (condition: Condition): boolean =>
      [condition.short, condition.long].every((window) => {
        const over = (now[window] ?? 0) / (condition.factor * budget(slo));
        if (Math.abs(over - 1) < 0.01)
          throw new Error(`${slo.id} ${window}: too close to ${String(condition.factor)}x`);
        return over > 1;
      });
    const severities = (['page', 'ticket'] as const).filter((severity) =>
      variant.conditions.some((condition) => condition.severity === severity && holds(condition)),
    );
    firing.push(`${slo.id} ${severities.join(' and ') || 'none'}`);
    alerts.push({
      eval_time: end,
      alertname: slo.alertname,
      exp_alerts: severities.map((severity) => expectedAlert(slo, variant, severity)),
    });
  }
  const percent = (ratios: Record<string, number>): string =>
    windows.map((window) => `${window} ${((ratios[window] ?? 0) * 100).toFixed(4)}%`).join(', ');
  return {
    comment: [
      `Long windows: ${duration(run.length)} of traffic, a sample every ${String(run.step)}m, rules every ${String(run.evaluation)}m. Bursts:`,
      ...traffic.described.map((line) => `  ${line}`),
      `Error ratios at the end (every SLO): ${percent(now)}.`,
      `Alerts at the end: ${firing.join('; ')}.`,
    ],
    test: {
      name: `${variant.name}: long windows, every window and the 30-day SLI tell their bursts apart`,
      interval: `${String(run.step)}m`,
      input_series: withRequestClasses(input, 'as its duration'),
      promql_expr_test: tests,
      alert_rule_test: alerts,
    },
  };
}

// Traffic at the edges: none at all, none for a while, no errors ever, and very little. These pin what
// today's rules produce, blind spots included (issue 13, "SLIs that tell the truth"); a fix changes
// the expectation here on purpose.
function edgeTrafficTests(variant: Variant): Group[] {
  const groups: Group[] = [];
  const login = { job: 'api', http_route: '/login', http_request_method: 'POST' };
  const upload = { job: 'api', http_route: '/upload', http_request_method: 'POST' };
  const count = (labels: Record<string, string>, code: string): string =>
    selector('http_server_request_duration_seconds_count', { ...labels, http_response_status_code: code });
  const images = { job: 'api', http_route: '/images/:filename', http_request_method: 'GET' };
  const fast = (labels: Record<string, string>, code: string): string =>
    selector('http_server_request_duration_seconds_bucket', { ...labels, http_response_status_code: code, le: '0.3' });
  const underSecond = (labels: Record<string, string>, code: string): string =>
    selector('http_server_request_duration_seconds_bucket', { ...labels, http_response_status_code: code, le: '1' });
  const edge = (code: string): string => selector(EDGE_METRIC, { job: 'edge', code, method: 'GET' });
  const slis = (slo: Slo): string => `{__name__=~"slo:sli_error:ratio_rate.+", ${matchers(sloLabels(slo, variant))}}`;
  const allWindows = [...variant.windows, '30d'];
  // 1 for every series whose value is NaN (NaN is the one value not equal to itself), 0 otherwise.
  const nanTest = (expr: string, at: string, samples: { labels: string; value: number }[]): object => ({
    expr: `${expr} != bool ${expr}`,
    eval_time: at,
    exp_samples: samples,
  });
  const quietAlerts = (at: string): object[] =>
    SLOS.map((slo) => ({ eval_time: at, alertname: slo.alertname, exp_alerts: [] }));

  groups.push({
    comment: [
      'Absent traffic: the API exports no request series at all (its pods are gone). Every SLI is absent, not',
      'an error: the numerator falls back to vector(0) but the denominator is empty. No burn-rate alert can',
      'fire from them and the 30-day SLI charges nothing; the absence alerts page instead (api-absence.*.test.yml),',
      'and the edge SLI counts what users got meanwhile (the next test).',
    ],
    test: {
      name: `${variant.name}: absent traffic, no SLI and no alert`,
      interval: '1m',
      input_series: withRequestClasses(
        [
          {
            series: count({ ...login, http_route: '/healthz', http_request_method: 'GET' }, '200'),
            values: '0+100x60',
          },
        ],
        'in time',
      ),
      promql_expr_test: [
        ...SLOS.map((slo) => ({ expr: slis(slo), eval_time: '60m', exp_samples: [] })),
        { expr: 'slo:current_burn_rate:ratio', eval_time: '60m', exp_samples: [] },
        { expr: 'slo:period_burn_rate:ratio', eval_time: '60m', exp_samples: [] },
      ],
      alert_rule_test: quietAlerts('60m'),
    },
  });

  const edgeSlo = SLOS.find((slo) => slo.id === 'api-edge-availability');
  if (edgeSlo !== undefined)
    groups.push({
      comment: [
        'A dead api: its request series stop at 30m (no SLI of its own can burn), and from then on the edge',
        'answers every request with a 502. The edge SLI burns at 1000x and pages (and tickets) within minutes.',
      ],
      test: {
        name: `${variant.name}: a dead api, the edge's 502s page`,
        interval: '1m',
        input_series: withRequestClasses(
          [
            { series: count(images, '200'), values: '0+1000x30 stale' },
            { series: edge('200'), values: '0+1000x30 30000+0x30' },
            { series: edge('502'), values: '0+0x30 1000+1000x30' },
          ],
          'in time',
        ),
        alert_rule_test: [
          { eval_time: '30m', alertname: edgeSlo.alertname, exp_alerts: [] },
          {
            eval_time: '36m',
            alertname: edgeSlo.alertname,
            exp_alerts: [expectedAlert(edgeSlo, variant, 'page'), expectedAlert(edgeSlo, variant, 'ticket')],
          },
          ...SLOS.filter((slo) => slo !== edgeSlo).map((slo) => ({
            eval_time: '36m',
            alertname: slo.alertname,
            exp_alerts: [],
          })),
        ],
      },
    });

  const flat = (value: number): string => `${String(value)}+0x60`;
  groups.push({
    comment: [
      'Zero traffic: the request series exist but do not move for an hour. Every SLI window, the 30-day',
      'SLI (no request in its 30 days either) and the burn rates are 0/0 = NaN, and no alert fires.',
    ],
    test: {
      name: `${variant.name}: zero traffic, every SLI is NaN and no alert fires`,
      interval: '1m',
      input_series: withRequestClasses(
        [
          { series: count(login, '200'), values: flat(500) },
          { series: count(login, '500'), values: flat(5) },
          { series: fast(login, '200'), values: flat(500) },
          { series: underSecond(login, '200'), values: flat(500) },
          { series: count(images, '200'), values: flat(500) },
          { series: fast(images, '200'), values: flat(500) },
          { series: count(upload, '201'), values: flat(500) },
          { series: count(upload, '503'), values: flat(5) },
          { series: edge('200'), values: flat(500) },
          { series: edge('502'), values: flat(5) },
        ],
        'in time',
      ),
      promql_expr_test: SLOS.map((slo) =>
        nanTest(
          slis(slo),
          '60m',
          allWindows.map((window) => ({
            labels: selector('', { ...sloLabels(slo, variant), sloth_window: window }),
            value: 1,
          })),
        ),
      ),
      alert_rule_test: quietAlerts('60m'),
    },
  });

  // One sample a minute: 1000 good requests a minute on /login and /upload, nothing from 60m to 70m.
  const busy = (perMinute: number): string =>
    `0+${String(perMinute)}x60 ${String(perMinute * 60)}+0x10 ${String(perMinute * 61)}+${String(perMinute)}x59`;
  groups.push({
    comment: [
      'Ten quiet minutes, then traffic again: the shortest SLI window was NaN while nothing came, but the',
      '30-day SLI counts requests, not the ratios of a shorter window, so it stays 0 and the whole budget is',
      'left (when it averaged the 5-minute ratios, their NaN made it NaN for 30 days).',
      'The error series exists (at 0) throughout.',
    ],
    test: {
      name: `${variant.name}: ten quiet minutes leave the 30-day SLI a number`,
      interval: '1m',
      input_series: withRequestClasses(
        [
          { series: count(login, '200'), values: busy(1000) },
          { series: count(login, '500'), values: '0+0x130' },
          { series: fast(login, '200'), values: busy(1000) },
          { series: underSecond(login, '200'), values: busy(1000) },
          { series: count(images, '200'), values: busy(1000) },
          { series: fast(images, '200'), values: busy(1000) },
          { series: count(upload, '201'), values: busy(1000) },
          { series: count(upload, '503'), values: '0+0x130' },
          { series: edge('200'), values: busy(1000) },
          { series: edge('502'), values: '0+0x130' },
        ],
        'in time',
      ),
      promql_expr_test: SLOS.flatMap((slo) => {
        const labels = sloLabels(slo, variant);
        return [
          {
            expr: `{__name__=~"slo:sli_error:ratio_rate.+", sloth_window!="30d", ${matchers(labels)}}`,
            eval_time: '130m',
            exp_samples: variant.windows.map((window) => ({
              labels: selector(`slo:sli_error:ratio_rate${window}`, { ...labels, sloth_window: window }),
              value: 0,
            })),
          },
          {
            expr: selector('slo:sli_error:ratio_rate30d', labels),
            eval_time: '130m',
            exp_samples: [
              { labels: selector('slo:sli_error:ratio_rate30d', { ...labels, sloth_window: '30d' }), value: 0 },
            ],
          },
          {
            expr: selector('slo:period_error_budget_remaining:ratio', labels),
            eval_time: '130m',
            exp_samples: [
              {
                labels: selector('slo:period_error_budget_remaining:ratio', { ...labels, sloth_window: '30d' }),
                value: 1,
              },
            ],
          },
        ];
      }),
      alert_rule_test: quietAlerts('130m'),
    },
  });

  groups.push({
    comment: [
      'No error ever, and no error series: the API has answered only 200s and 201s, all fast, so no 5xx',
      'series exists. Every SLI is 0, not absent (the numerator falls back to vector(0)).',
    ],
    test: {
      name: `${variant.name}: no error series, every SLI is 0`,
      interval: '1m',
      input_series: withRequestClasses(
        [
          { series: count(login, '200'), values: '0+1000x60' },
          { series: fast(login, '200'), values: '0+1000x60' },
          { series: underSecond(login, '200'), values: '0+1000x60' },
          { series: count(images, '200'), values: '0+1000x60' },
          { series: fast(images, '200'), values: '0+1000x60' },
          { series: count(upload, '201'), values: '0+1000x60' },
          { series: edge('200'), values: '0+1000x60' },
        ],
        'in time',
      ),
      promql_expr_test: SLOS.map((slo) => ({
        expr: slis(slo),
        eval_time: '60m',
        exp_samples: allWindows.map((window) => ({
          labels: selector(`slo:sli_error:ratio_rate${window}`, { ...sloLabels(slo, variant), sloth_window: window }),
          value: 0,
        })),
      })),
      alert_rule_test: quietAlerts('60m'),
    },
  });

  if (variant.name === 'prod') {
    // One upload every 5 minutes (a sample a minute), the one at 120m a 503.
    const uploads = Array.from({ length: 180 }, (_, index) => ((index + 1) % 5 === 0 ? 1 : 0));
    const failed = uploads.map((_, index) => (index + 1 === 120 ? 1 : 0));
    const uploadSuccess = SLOS.find((slo) => slo.id === 'api-upload-success');
    const availability = SLOS.find((slo) => slo.id === 'api-availability');
    if (uploadSuccess !== undefined && availability !== undefined) {
      groups.push({
        comment: [
          'Low traffic: 12 uploads an hour, and one of them (at 120m) fails. The 5m window sees 1 of 1 and the 1h',
          'window 1 of 12 (8.3%, over 14.4 x 0.5%), so one 503 pages for upload success and for availability, and',
          "opens a ticket too: without the journey prober's floor (the next test), one failure among few events pages.",
        ],
        test: {
          name: 'prod: low traffic, one failed upload among 12 an hour pages',
          interval: '1m',
          input_series: withRequestClasses(
            [
              {
                series: count(upload, '201'),
                values: counter(uploads.map((one, index) => one - (failed[index] ?? 0))),
              },
              { series: count(upload, '503'), values: counter(failed) },
            ],
            'in time',
          ),
          alert_rule_test: [
            { eval_time: '119m', alertname: uploadSuccess.alertname, exp_alerts: [] },
            ...[uploadSuccess, availability].map((slo) => ({
              eval_time: '121m',
              alertname: slo.alertname,
              exp_alerts: [expectedAlert(slo, variant, 'page'), expectedAlert(slo, variant, 'ticket')],
            })),
          ],
        },
      });
      // Seven hours of it, the failure at 400m, with the prober's journeys: two a minute, each a login, an upload, a
      // read and a delete through the edge, which the api counts like any client's.
      const userUploads = Array.from({ length: 420 }, (_, index) => ((index + 1) % 5 === 0 ? 1 : 0));
      const userFailed = userUploads.map((_, index) => (index + 1 === 400 ? 1 : 0));
      const journeys = userUploads.map(() => 2);
      groups.push({
        comment: [
          "Low traffic with the journey prober's floor (services/prober): the same 12 uploads an hour and one failure,",
          'with two journeys a minute besides. The failure is 1 of 11 uploads in 5m but 1 of 132 in 1h (0.8%, under',
          "14.4 x 0.5%), and for availability 1 of 372 requests in 1h: nothing pages, no ticket opens. The prober's",
          'floor is the minimum-events guard: it keeps enough events in every window for one failure not to page.',
        ],
        test: {
          name: "prod: low traffic with the prober's floor, one failed upload among 12 an hour does not page",
          interval: '1m',
          input_series: withRequestClasses(
            [
              {
                series: count(upload, '201'),
                values: counter(userUploads.map((one, index) => one - (userFailed[index] ?? 0) + 2)),
              },
              { series: count(upload, '503'), values: counter(userFailed) },
              { series: count(login, '200'), values: counter(journeys) },
              { series: count(images, '200'), values: counter(journeys) },
              { series: count({ ...images, http_request_method: 'DELETE' }, '204'), values: counter(journeys) },
            ],
            'in time',
          ),
          alert_rule_test: [uploadSuccess, availability].flatMap((slo) =>
            ['401m', '405m'].map((at) => ({ eval_time: at, alertname: slo.alertname, exp_alerts: [] })),
          ),
        },
      });
    }
  }
  return groups;
}

/** A real burn through the whole pipeline: 1.5% of API requests fail (15x the 0.1% budget) for 2 hours. */
function endToEndTest(variant: Variant): Group | undefined {
  if (variant.name !== 'prod') return undefined;
  const slo = SLOS[0];
  if (slo === undefined) return undefined;
  const base = { job: 'api', http_route: '/login', http_request_method: 'POST' };
  // Per minute: 1000 good for 30m; 985 good and 15 errors for 2h (30m-150m); then 1000 good again.
  const ok = `0+1000x30 30985+985x119 148200+1000x120`;
  const errors = `0+0x30 15+15x119 1800+0x120`;
  const alert = (severity: Severity): object => expectedAlert(slo, variant, severity);
  return {
    comment: [
      'End to end: 1.5% of API requests fail (15x the 0.1% budget) from 30m to 150m, then none.',
      'Both the page (5m/1h over 14.4x) and the ticket (2h/1d over 3x) fire; Alertmanager inhibits the',
      'ticket while the page fires. 45 minutes after recovery the page has resolved and the ticket has not.',
    ],
    test: {
      name: 'prod: availability, a real 15x burn fires the page and the ticket, and the page resolves',
      interval: '1m',
      input_series: [
        {
          series: selector('http_server_request_duration_seconds_count', { ...base, http_response_status_code: '200' }),
          values: ok,
        },
        {
          series: selector('http_server_request_duration_seconds_count', { ...base, http_response_status_code: '500' }),
          values: errors,
        },
      ],
      alert_rule_test: [
        { eval_time: '29m', alertname: slo.alertname, exp_alerts: [] },
        { eval_time: '149m', alertname: slo.alertname, exp_alerts: [alert('page'), alert('ticket')] },
        { eval_time: '195m', alertname: slo.alertname, exp_alerts: [alert('ticket')] },
      ],
    },
  };
}

const SLOTH_VERSION = 'v0.16.0';

/** Strings double-quoted, so YAML reads each as the string it is (never a number or a boolean); no line folded. */
const STRINGIFY = { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 } as const;

/** YAML comment lines: one space after the #, which the yaml package writes as they come. */
function comment(lines: string[]): string {
  return lines.map((line) => ` ${line}`).join('\n');
}

/** One test file: a header naming its rules, the evaluation interval and the groups. */
function testFile(rulesFile: string, what: string, evaluation: string, groups: Group[], order?: string[]): string {
  const header = [
    'Code generated by slo/tests/generate.ts (npm run slo:generate). DO NOT EDIT.',
    `promtool unit tests for the ${what} (${rulesFile.replace('../', 'slo/')}).`,
    'Run: promtool test rules slo/tests/*.test.yml (part of npm run test:slo:static).',
  ];
  const document = new Document();
  const tests = groups.map((group) => {
    const node = document.createNode(group.test);
    node.commentBefore = comment(group.comment);
    return node;
  });
  // Plain, as the test files have always had it (a duration promtool reads quoted or not).
  const evaluationInterval = new Scalar(evaluation);
  evaluationInterval.type = Scalar.PLAIN;
  const file = { rule_files: [rulesFile], evaluation_interval: evaluationInterval, group_eval_order: order, tests };
  document.contents = document.createNode(file);
  document.contents.commentBefore = comment(header);
  return document.toString(STRINGIFY);
}

/** Every test file, by name: per variant the main file (1-minute evaluations) and the long-window file. */
function testFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const variant of VARIANTS) {
    const rules = `${variant.name === 'prod' ? 'production' : 'drill'} SLO rules`;
    const rulesFile = (service: string): string => `${variant.rulesDir}/${service}.yml`;
    const groups = [
      ...SLOS.flatMap((slo) => variant.conditions.map((condition) => alertScenario(slo, variant, condition))),
      recordingTest(variant),
      windowLengthTest(variant, SLOS[0], API_RAW),
      endToEndTest(variant),
      ...edgeTrafficTests(variant),
    ].filter((group) => group !== undefined);
    files.set(`api.${variant.name}.test.yml`, testFile(rulesFile('api'), rules, '1m', groups));
    // The journey SLO: every alert condition at its thresholds, and every SLI window's length.
    const journeyGroups = [
      ...JOURNEY_SLOS.flatMap((slo) => variant.conditions.map((condition) => alertScenario(slo, variant, condition))),
      journeyRecordingTest(variant),
      ...JOURNEY_SLO_RAW.map((raw, index) => windowLengthTest(variant, JOURNEY_SLOS[index], raw)),
      journeyNoErrorSeriesTest(variant),
      journeyQuietGapTest(variant),
    ].filter((group) => group !== undefined);
    files.set(
      `journey.${variant.name}.test.yml`,
      testFile(
        rulesFile('journey'),
        `${variant.name === 'prod' ? 'production' : 'drill'} journey SLO rules`,
        '1m',
        journeyGroups,
      ),
    );
    // Evaluated at the long run's own step: every minute over 31 days would take promtool minutes.
    // promtool evaluates the rule groups in group_eval_order at every step, and otherwise in any order,
    // so the burn rates and alerts would read the SLIs of this evaluation or of the one before.
    const order = (slos: Slo[]): string[] =>
      slos.flatMap((slo) =>
        ['sli-recordings', 'meta-recordings', 'alerts'].map((kind) => `sloth-slo-${kind}-${slo.id}`),
      );
    for (const [service, run, slos, input, what] of [
      ['api', LONG_RUNS[variant.name], SLOS, apiLongInput, rules],
      [
        'journey',
        JOURNEY_LONG_RUNS[variant.name],
        JOURNEY_SLOS,
        journeyLongInput,
        `${variant.name === 'prod' ? 'production' : 'drill'} journey SLO rules`,
      ],
    ] as const) {
      files.set(
        run.file,
        testFile(
          rulesFile(service),
          `${what}, long windows`,
          `${String(run.evaluation)}m`,
          [longWindowTest(variant, run, slos, input)],
          order(slos),
        ),
      );
    }
  }
  return files;
}

const check = process.argv.includes('--check');
let drift = false;
for (const [name, text] of testFiles()) {
  const path = new URL(`./${name}`, import.meta.url);
  if (check) {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current !== text) {
      process.stderr.write(
        `drift: ${path.pathname} is not what slo/tests/generate.ts writes; run npm run slo:generate\n`,
      );
      drift = true;
    }
  } else {
    await writeFile(path, text);
  }
}
if (drift) process.exit(1);
