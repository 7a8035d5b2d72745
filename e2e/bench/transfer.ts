// Upload and download throughput through the API (api -> image -> S3) against S3 directly, the same
// bytes side by side in every run; and the services' peak memory during the smallest and largest
// upload.
import { randomBytes } from 'node:crypto';
import type { ServiceName } from '../../scripts/local-stack/stack.ts';
import { mebibyte } from '@platform/test-client';
import { apiClient, directS3, downloadThroughApi, uploadThroughApi, type Timed } from './clients.ts';
import { watchPeakRss } from './memory.ts';
import type { Metric } from './report.ts';
import type { BenchStack } from './stack.ts';
import { mebibytesPerSecond } from './stats.ts';

export interface TransferOptions {
  sizes: number[];
  runs: number;
  progress: (message: string) => void;
}

const sizeLabel = (size: number) =>
  size >= 1024 * mebibyte ? `${size / (1024 * mebibyte)}GiB` : `${size / mebibyte}MiB`;
const throughput = (timed: Timed) => mebibytesPerSecond(timed.bytes, timed.milliseconds);

/** Runs `first` then `second`, or the other way round: alternating the order cancels drift. */
async function inOrder<A, B>(swap: boolean, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  if (!swap) return [await first(), await second()];
  const b = await second();
  return [await first(), b];
}

export async function benchTransfers(stack: BenchStack, options: TransferOptions): Promise<Metric[]> {
  const client = apiClient(stack.description.services.api.url);
  const user = await client.newAccount('bench');
  const s3 = directS3(stack.description);
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const smallest = sizes[0] as number;
  const largest = sizes[sizes.length - 1] as number;
  const upload = new Map(
    sizes.map((size) => [size, { api: [] as number[], direct: [] as number[], ratio: [] as number[] }]),
  );
  const downloads = new Map(
    sizes.map((size) => [size, { api: [] as number[], direct: [] as number[], ratio: [] as number[] }]),
  );
  const peaks = new Map<number, Array<Record<ServiceName, { beforeMb: number; peakMb: number }>>>(
    sizes.map((size) => [size, []]),
  );

  try {
    // One upload of each size first, unmeasured: the first large upload after a start sizes the
    // services' heaps and allocator arenas up once (by up to ~50 MiB in image), which is start-up,
    // not memory that grows with the file. What is compared is the steady state.
    options.progress(`warming up: one upload of each size through the API, one ${sizeLabel(smallest)} upload directly`);
    for (const size of sizes) {
      const warm = await uploadThroughApi(client, user.token, size);
      await client.delete(user.token, warm.filename);
    }
    await s3.put(`${prefix}/warm-up`, smallest);
    await s3.remove(`${prefix}/warm-up`);

    for (let run = 0; run < options.runs; run += 1) {
      const token = await client.login(user); // tokens last 15 minutes; a full run takes longer
      const swap = run % 2 === 1;
      for (const size of sizes) {
        const key = `${prefix}/${run}-${sizeLabel(size)}.png`;
        const label = `run ${run + 1}/${options.runs}, ${sizeLabel(size)}`;
        options.progress(`${label}: uploading through the API and directly`);
        const [viaApi, direct] = await inOrder(
          swap,
          async () => {
            const watch = watchPeakRss(stack.servicePids);
            try {
              return await uploadThroughApi(client, token, size);
            } finally {
              peaks.get(size)?.push(watch.stop());
            }
          },
          () => s3.put(key, size),
        );
        const up = upload.get(size);
        up?.api.push(throughput(viaApi));
        up?.direct.push(throughput(direct));
        up?.ratio.push(throughput(viaApi) / throughput(direct));

        options.progress(`${label}: downloading through the API and directly`);
        const [apiDownload, directDownload] = await inOrder(
          swap,
          () => downloadThroughApi(client, token, viaApi.filename),
          () => s3.get(key),
        );
        for (const [timed, expected] of [
          [apiDownload, size],
          [directDownload, size],
        ] as const) {
          if (timed.bytes !== expected) throw new Error(`downloaded ${timed.bytes} bytes, expected ${expected}`);
        }
        const down = downloads.get(size);
        down?.api.push(throughput(apiDownload));
        down?.direct.push(throughput(directDownload));
        down?.ratio.push(throughput(apiDownload) / throughput(directDownload));
        options.progress(
          `${label}: upload api ${throughput(viaApi).toFixed(0)} / direct ${throughput(direct).toFixed(0)} MiB/s, ` +
            `download api ${throughput(apiDownload).toFixed(0)} / direct ${throughput(directDownload).toFixed(0)} MiB/s`,
        );
        await client.delete(token, viaApi.filename);
        await s3.remove(key);
      }
    }
  } finally {
    s3.close();
  }

  const metrics: Metric[] = [];
  for (const [direction, results] of [
    ['upload', upload],
    ['download', downloads],
  ] as const) {
    for (const size of sizes) {
      const result = results.get(size);
      if (result === undefined) continue;
      metrics.push(
        {
          name: `${direction}.api.${sizeLabel(size)}`,
          unit: 'MiB/s',
          samples: result.api,
          description: `${direction} throughput through the API, ${sizeLabel(size)} file`,
        },
        {
          name: `${direction}.direct.${sizeLabel(size)}`,
          unit: 'MiB/s',
          samples: result.direct,
          description: `${direction} throughput straight to S3, same bytes`,
        },
        {
          name: `${direction}.ratio.${sizeLabel(size)}`,
          unit: 'x',
          samples: result.ratio,
          description: `${direction} throughput, API / direct, ${sizeLabel(size)} file`,
        },
      );
    }
    // The headline ratio: the worst size's ratio in each run.
    metrics.push({
      name: `${direction}.ratio`,
      unit: 'x',
      samples: Array.from({ length: options.runs }, (_, run) =>
        Math.min(...sizes.map((size) => results.get(size)?.ratio[run] ?? Number.NaN)),
      ),
      target: { comparison: '>=', value: 0.9 },
      description: `${direction} throughput through the API / straight to S3, the lowest over the sizes in each run`,
    });
  }

  const services = Object.keys(stack.servicePids) as ServiceName[];
  const growth = (run: number, service: ServiceName) =>
    (peaks.get(largest)?.[run]?.[service].peakMb ?? Number.NaN) -
    (peaks.get(smallest)?.[run]?.[service].peakMb ?? Number.NaN);
  for (const service of services) {
    metrics.push({
      name: `memory.${service}.peakRssMB.${sizeLabel(largest)}`,
      unit: 'MiB',
      samples: (peaks.get(largest) ?? []).map((sample) => sample[service].peakMb),
      description: `peak resident memory of ${service} during the ${sizeLabel(largest)} upload`,
    });
    metrics.push({
      name: `memory.${service}.rssGrowthMB`,
      unit: 'MiB',
      samples: Array.from({ length: options.runs }, (_, run) => growth(run, service)),
      description: `${service}'s peak RSS during the ${sizeLabel(largest)} upload minus during the ${sizeLabel(smallest)} one`,
    });
  }
  metrics.push({
    name: 'memory.maxRssGrowthMB',
    unit: 'MiB',
    samples: Array.from({ length: options.runs }, (_, run) =>
      Math.max(...services.map((service) => growth(run, service))),
    ),
    target: { comparison: '<=', value: 16 },
    description: 'the largest growth of peak RSS over all services, largest upload vs smallest',
  });
  return metrics;
}
