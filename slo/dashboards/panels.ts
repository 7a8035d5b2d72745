/**
 * The dashboards, as data: each panel is a title, a unit and PromQL queries. generate.ts turns them
 * into Grafana dashboard JSON; the e2e suite runs every query against a live Prometheus.
 * `$__rate_interval` is Grafana's rate window.
 */
export interface PanelSpec {
  title: string;
  unit: 'reqps' | 'percentunit' | 's' | 'bytes' | 'Bps' | 'ops' | 'short';
  queries: Array<{ expr: string; legend: string }>;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  panels: PanelSpec[];
}

const user = 'http_route!~"/healthz|/readyz"';
const rate = (metric: string, selector: string) => `rate(${metric}{${selector}}[$__rate_interval])`;
/** A ratio that is 0, not "no data", while the numerator has no series (no errors yet). */
const ratio = (numerator: string, denominator: string, by: string) =>
  `(sum by (${by}) (${numerator}) or sum by (${by}) (${denominator}) * 0) / sum by (${by}) (${denominator})`;

const httpPanels = (selector: string, by: string): PanelSpec[] => [
  {
    title: 'Request rate',
    unit: 'reqps',
    queries: [
      {
        expr: `sum by (${by}) (${rate('http_server_request_duration_seconds_count', `${selector},${user}`)})`,
        legend: `{{${by.split(', ').join('}} {{')}}}`,
      },
    ],
  },
  {
    title: 'Error ratio (5xx)',
    unit: 'percentunit',
    queries: [
      {
        expr: ratio(
          rate('http_server_request_duration_seconds_count', `${selector},${user},http_response_status_code=~"5.."`),
          rate('http_server_request_duration_seconds_count', `${selector},${user}`),
          by,
        ),
        legend: `{{${by.split(', ').join('}} {{')}}}`,
      },
    ],
  },
  {
    title: 'Latency p50 / p99',
    unit: 's',
    queries: ['0.5', '0.99'].map((quantile) => ({
      expr: `histogram_quantile(${quantile}, sum by (${by}, le) (${rate('http_server_request_duration_seconds_bucket', `${selector},${user}`)}))`,
      legend: `p${Number(quantile) * 100} {{${by.split(', ').join('}} {{')}}}`,
    })),
  },
];

const runtimePanels = (selector: string): PanelSpec[] => [
  {
    title: 'Event loop delay p99',
    unit: 's',
    queries: [{ expr: `max by (job) (nodejs_eventloop_delay_p99_seconds{${selector}})`, legend: '{{job}}' }],
  },
  {
    title: 'Heap used',
    unit: 'bytes',
    queries: [{ expr: `sum by (job) (v8js_memory_heap_used_bytes{${selector}})`, legend: '{{job}}' }],
  },
  {
    title: 'GC time per second',
    unit: 's',
    queries: [
      { expr: `sum by (job) (rate(v8js_gc_duration_seconds_sum{${selector}}[$__rate_interval]))`, legend: '{{job}}' },
    ],
  },
];

const p99Panel = (title: string, histogram: string, job: string, by: string): PanelSpec => ({
  title,
  unit: 's',
  queries: [
    { expr: `histogram_quantile(0.99, sum by (${by}, le) (${rate(histogram, `job="${job}"`)}))`, legend: `{{${by}}}` },
  ],
});

const databaseLatencyPanel = (job: string) =>
  p99Panel('PostgreSQL latency p99', 'db_client_operation_duration_seconds_bucket', job, 'db_operation_name');

/** One Sloth recording rule (slo/rules), one line per SLO (`sloth_slo`) of a service. */
const perSlo = (service: string, title: string, unit: PanelSpec['unit'], rule: string): PanelSpec => ({
  title,
  unit,
  queries: [{ expr: `max by (sloth_slo) (${rule}{sloth_service="${service}"})`, legend: '{{sloth_slo}}' }],
});

/** An SLO's burn rate over a window: its error ratio there over its error budget (1 spends the budget in 30 days). */
const burnRate = (service: string, window: string) =>
  `max by (sloth_slo) (slo:sli_error:ratio_rate${window}{sloth_service="${service}"}) / on (sloth_slo) max by (sloth_slo) (slo:error_budget:ratio{sloth_service="${service}"})`;

/** The alert conditions of Sloth's 30-day catalog (slo/README.md, "Alerts"): both windows over the factor fire. */
const alertConditions = [
  { severity: 'page', factor: 14.4, long: '1h', short: '5m' },
  { severity: 'page', factor: 6, long: '6h', short: '30m' },
  { severity: 'ticket', factor: 3, long: '1d', short: '2h' },
  { severity: 'ticket', factor: 1, long: '3d', short: '6h' },
];

/** One condition's two windows, each as a share of its threshold: at 1 and above in both, it fires. */
const conditionPanel = (
  service: string,
  { severity, factor, long, short }: (typeof alertConditions)[number],
): PanelSpec => ({
  title: `Burn rate / threshold, ${severity} ${String(factor)}x over ${long} and ${short} (fires at 1)`,
  unit: 'short',
  queries: [long, short].map((window) => ({
    expr: `${burnRate(service, window)} / ${String(factor)}`,
    legend: `{{sloth_slo}} ${window}`,
  })),
});

/** Reads the Sloth recording rules (slo/rules) of a service (`sloth_service`), per SLO (`sloth_slo`). */
const sloPanels = (service: string): PanelSpec[] => [
  {
    title: 'SLI over 5m and 1h',
    unit: 'percentunit',
    queries: ['5m', '1h'].map((window) => ({
      expr: `1 - max by (sloth_slo) (slo:sli_error:ratio_rate${window}{sloth_service="${service}"})`,
      legend: `{{sloth_slo}} ${window}`,
    })),
  },
  perSlo(
    service,
    'Error budget remaining (30 days): the burn-down',
    'percentunit',
    'slo:period_error_budget_remaining:ratio',
  ),
  {
    title: 'Time to budget exhaustion at the 1h burn rate',
    unit: 's',
    // The budget left, in seconds of the period, over the burn rate (+Inf while nothing burns).
    queries: [
      {
        expr: `clamp_min(max by (sloth_slo) (slo:period_error_budget_remaining:ratio{sloth_service="${service}"}), 0) * on (sloth_slo) max by (sloth_slo) (slo:time_period:days{sloth_service="${service}"}) * 86400 / on (sloth_slo) (${burnRate(service, '1h')})`,
        legend: '{{sloth_slo}}',
      },
    ],
  },
  perSlo(service, 'Burn rate (5m)', 'short', 'slo:current_burn_rate:ratio'),
  ...alertConditions.map((condition) => conditionPanel(service, condition)),
  perSlo(service, 'Objective', 'percentunit', 'slo:objective:ratio'),
  {
    title: 'Firing SLO alerts',
    unit: 'short',
    // 0 rather than "no data" when nothing fires.
    queries: [
      {
        expr: `count by (severity) (ALERTS{alertstate="firing",sloth_service="${service}"}) or on() vector(0)`,
        legend: '{{severity}}',
      },
    ],
  },
];

/** What the journey prober (services/prober) saw: its journeys by outcome and how long they took, its large uploads. */
const journeyPanels: PanelSpec[] = [
  {
    title: 'Journeys by outcome (per minute)',
    unit: 'short',
    queries: [
      {
        expr: 'sum by (outcome) (rate(prober_journeys_total{job="prober"}[$__rate_interval])) * 60',
        legend: '{{outcome}}',
      },
    ],
  },
  {
    title: 'Journey duration p50 / p99',
    unit: 's',
    queries: ['0.5', '0.99'].map((quantile) => ({
      expr: `histogram_quantile(${quantile}, sum by (le) (rate(prober_journey_duration_seconds_bucket{job="prober"}[$__rate_interval])))`,
      legend: `p${String(Number(quantile) * 100)}`,
    })),
  },
  {
    title: 'Large uploads by outcome (per hour): fast is 10 MiB/s or better',
    unit: 'short',
    queries: [
      {
        expr: 'sum by (outcome) (rate(prober_large_uploads_total{job="prober"}[$__rate_interval])) * 3600',
        legend: '{{outcome}}',
      },
    ],
  },
];

export const dashboards: DashboardSpec[] = [
  { uid: 'slo-api', title: 'SLOs: api', panels: sloPanels('api') },
  // The journey SLO (slo/specs/journey.yml), with what the prober saw.
  { uid: 'slo-journey', title: 'SLOs: journey', panels: [...journeyPanels, ...sloPanels('journey')] },
  {
    uid: 'platform-overview',
    title: 'Platform overview',
    panels: [
      { title: 'Targets up', unit: 'short', queries: [{ expr: 'up{job=~"api|auth|image"}', legend: '{{job}}' }] },
      ...httpPanels('job=~"api|auth|image"', 'job'),
      {
        title: 'Calls between services',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (server_address, http_response_status_code) (${rate('http_client_request_duration_seconds_count', 'job="api"')})`,
            legend: 'api -> {{server_address}} {{http_response_status_code}}',
          },
        ],
      },
      {
        title: 'PostgreSQL operations by outcome',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (job, outcome) (${rate('db_client_operation_duration_seconds_count', 'db_system_name="postgresql"')})`,
            legend: '{{job}} {{outcome}}',
          },
        ],
      },
      {
        title: 'S3 operations by outcome',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (s3_operation, outcome) (${rate('s3_client_operation_duration_seconds_count', 'job="image"')})`,
            legend: '{{s3_operation}} {{outcome}}',
          },
        ],
      },
      ...runtimePanels('job=~"api|auth|image"'),
    ],
  },
  {
    uid: 'service-api',
    title: 'Service: api (gateway)',
    panels: [
      ...httpPanels('job="api"', 'http_route'),
      p99Panel('Upstream latency p99', 'http_client_request_duration_seconds_bucket', 'api', 'server_address'),
      {
        title: 'Tokens refused',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (reason) (rate(auth_token_rejections_total{job="api"}[$__rate_interval]))`,
            legend: '{{reason}}',
          },
        ],
      },
      {
        title: 'Key-set fetches',
        unit: 'short',
        queries: [{ expr: 'sum by (outcome) (auth_jwks_fetches_total{job="api"})', legend: '{{outcome}}' }],
      },
      ...runtimePanels('job="api"'),
    ],
  },
  {
    uid: 'service-auth',
    title: 'Service: auth',
    panels: [
      ...httpPanels('job="auth"', 'http_route'),
      {
        title: 'Logins by outcome',
        unit: 'ops',
        queries: [
          {
            expr: 'sum by (outcome) (rate(auth_login_attempts_total{job="auth"}[$__rate_interval]))',
            legend: '{{outcome}}',
          },
        ],
      },
      databaseLatencyPanel('auth'),
      ...runtimePanels('job="auth"'),
    ],
  },
  {
    uid: 'service-image',
    title: 'Service: image',
    panels: [
      ...httpPanels('job="image"', 'http_route'),
      {
        title: 'Bytes stored and served',
        unit: 'Bps',
        queries: [
          { expr: 'sum(rate(image_upload_size_bytes_total{job="image"}[$__rate_interval]))', legend: 'uploaded' },
          { expr: 'sum(rate(image_download_size_bytes_total{job="image"}[$__rate_interval]))', legend: 'downloaded' },
        ],
      },
      p99Panel('S3 latency p99', 's3_client_operation_duration_seconds_bucket', 'image', 's3_operation'),
      databaseLatencyPanel('image'),
      ...runtimePanels('job="image"'),
    ],
  },
];
