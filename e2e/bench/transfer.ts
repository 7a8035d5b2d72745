// Upload and download throughput through the API (api -> image -> S3) against S3 directly and through
// one bare Node hop (bare-relay.ts), the same bytes side by side in every run, with the CPU each hop
// spends; the services' peak memory during the smallest and largest upload and download, and their
// resident memory once idle again; and eight uploads at once, through the API against straight to S3.
import { randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { ServiceName } from '../../scripts/local-stack/stack.ts';
import { mebibyte } from '@platform/test-client';
import {
  apiClient,
  directS3,
  downloadThroughApi,
  startBareRelay,
  uploadRetryingRefusals,
  uploadThroughApi,
  type Timed,
} from './clients.ts';
import { type ProcessUsage, withUsage } from './process-usage.ts';
import { rssMb, watchPeakRss, type PeakRss } from './memory.ts';
import type { Metric } from './report.ts';
import type { BenchStack } from './stack.ts';
import { rotated } from './side-by-side.ts';
import { mebibytesPerSecond } from './stats.ts';

export interface TransferOptions {
  sizes: number[];
  runs: number;
  /** Uploads at once, and the size of each, for the parallel comparison. */
  parallel: { uploads: number; size: number };
  progress: (message: string) => void;
}

const directions = ['upload', 'download'] as const;
type Direction = (typeof directions)[number];

/** How long the services are left alone before their idle memory is read. */
const settleMs = 3_000;

const sizeLabel = (size: number) =>
  size >= 1024 * mebibyte ? `${size / (1024 * mebibyte)}GiB` : `${size / mebibyte}MiB`;
const throughput = (timed: Timed) => mebibytesPerSecond(timed.bytes, timed.milliseconds);

/** A small file's download is dominated by the request itself (two more hops), a large one's by its bytes. */
const downloadRatioTarget = (smallest: boolean) => ({ comparison: '>=' as const, value: smallest ? 0.7 : 0.85 });

/** A transfer of each item at once: all their bytes over the time until the last one ends. */
async function atOnce<I, T extends Timed>(items: I[], transfer: (item: I) => Promise<T>) {
  const start = performance.now();
  const results = await Promise.all(items.map(transfer));
  const bytes = results.reduce((sum, result) => sum + result.bytes, 0);
  return { milliseconds: performance.now() - start, bytes, results };
}

export async function benchTransfers(stack: BenchStack, options: TransferOptions): Promise<Metric[]> {
  const client = apiClient(stack.description.services.api.url);
  const user = await client.newAccount('bench');
  const parallelUsers = await Promise.all(
    Array.from({ length: options.parallel.uploads }, () => client.newAccount('bench')),
  );
  const s3 = directS3(stack.description);
  const relay = await startBareRelay(stack.description.s3.endpoint);
  const s3ThroughRelay = directS3(stack.description, relay.url);
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const smallest = sizes[0] as number;
  const largest = sizes[sizes.length - 1] as number;
  const perSize = () =>
    new Map(
      sizes.map((size) => [
        size,
        {
          ...{ api: [] as number[], direct: [] as number[], ratio: [] as number[] },
          ...{ relay: [] as number[], relayRatio: [] as number[] },
        },
      ]),
    );
  const results = { upload: perSize(), download: perSize() };
  /** What each hop spent on each largest transfer: the api and image services, and the bare relay. */
  const perHop = () => ({ api: [] as ProcessUsage[], image: [] as ProcessUsage[], relay: [] as ProcessUsage[] });
  const hopUsage = { upload: perHop(), download: perHop() };
  const peaks = {
    upload: new Map<number, Array<PeakRss<ServiceName>>>(sizes.map((size) => [size, []])),
    download: new Map<number, Array<PeakRss<ServiceName>>>(sizes.map((size) => [size, []])),
  };
  const services = Object.keys(stack.servicePids) as ServiceName[];
  const idle = new Map<ServiceName, number[]>(services.map((service) => [service, []]));
  const afterBurst = new Map<ServiceName, number[]>(services.map((service) => [service, []]));
  const parallel = { api: [] as number[], direct: [] as number[], ratio: [] as number[], refusals: [] as number[] };

  try {
    // One upload of each size first, unmeasured: the first large upload after a start sizes the
    // services' heaps and allocator arenas up once (by up to ~50 MiB in image), which is start-up,
    // not memory that grows with the file. What is compared is the steady state.
    options.progress(
      `warming up: one upload of each size through the API, one ${sizeLabel(smallest)} upload directly, downloaded through the relay`,
    );
    for (const size of sizes) {
      const warm = await uploadThroughApi(client, user.token, size);
      await client.delete(user.token, warm.filename);
    }
    await s3.put(`${prefix}/warm-up`, smallest);
    await s3ThroughRelay.get(`${prefix}/warm-up`);
    await s3.remove(`${prefix}/warm-up`);

    /** A transfer through the API, with the services' peak memory and, at the largest size, their CPU. */
    const throughApi = async <T extends Timed>(direction: Direction, size: number, transfer: () => Promise<T>) => {
      const watch = watchPeakRss(stack.servicePids);
      try {
        const { result, usage } = await withUsage(stack.servicePids, transfer);
        if (size === largest) {
          hopUsage[direction].api.push(usage.api);
          hopUsage[direction].image.push(usage.image);
        }
        return result;
      } finally {
        peaks[direction].get(size)?.push(watch.stop());
      }
    };
    const throughRelay = async (direction: Direction, size: number, transfer: () => Promise<Timed>) => {
      const { result, usage } = await withUsage({ relay: relay.pid }, transfer);
      if (size === largest) hopUsage[direction].relay.push(usage.relay);
      return result;
    };
    const record = (direction: Direction, size: number, [viaApi, direct, relayed]: [Timed, Timed, Timed]) => {
      const result = results[direction].get(size);
      result?.api.push(throughput(viaApi));
      result?.direct.push(throughput(direct));
      result?.ratio.push(throughput(viaApi) / throughput(direct));
      result?.relay.push(throughput(relayed));
      result?.relayRatio.push(throughput(relayed) / throughput(direct));
      return `api ${throughput(viaApi).toFixed(0)} / direct ${throughput(direct).toFixed(0)} / relay ${throughput(relayed).toFixed(0)} MiB/s`;
    };

    for (let run = 0; run < options.runs; run += 1) {
      const token = await client.login(user); // tokens last 15 minutes; a full run takes longer
      for (const size of sizes) {
        const key = `${prefix}/${run}-${sizeLabel(size)}.png`;
        const relayKey = `${prefix}/${run}-${sizeLabel(size)}-relay.png`;
        const label = `run ${run + 1}/${options.runs}, ${sizeLabel(size)}`;
        options.progress(`${label}: uploading through the API, directly and through a bare Node relay`);
        const uploaded = await rotated(run, [
          () => throughApi('upload', size, () => uploadThroughApi(client, token, size)),
          () => s3.put(key, size),
          () => throughRelay('upload', size, () => s3ThroughRelay.put(relayKey, size)),
        ]);
        const uploadFigures = record('upload', size, uploaded);

        options.progress(`${label}: downloading through the API, directly and through a bare Node relay`);
        const filename = uploaded[0].filename;
        const downloaded = await rotated(run, [
          () => throughApi('download', size, () => downloadThroughApi(client, token, filename)),
          () => s3.get(key),
          () => throughRelay('download', size, () => s3ThroughRelay.get(key)),
        ]);
        for (const timed of downloaded) {
          if (timed.bytes !== size) throw new Error(`downloaded ${timed.bytes} bytes, expected ${size}`);
        }
        options.progress(`${label}: upload ${uploadFigures}, download ${record('download', size, downloaded)}`);
        await client.delete(token, filename);
        await Promise.all([s3.remove(key), s3.remove(relayKey)]);
      }

      // What the services keep once this run's transfers are done (warm, idle).
      await setTimeout(settleMs);
      for (const service of services) idle.get(service)?.push(rssMb(stack.servicePids[service]));
    }

    // After the single transfers, so that what a burst leaves behind does not weigh on them.
    const { uploads, size } = options.parallel;
    for (let run = 0; run < options.runs; run += 1) {
      // One account each: an account may run only a couple of uploads at once.
      const uploaders = await Promise.all(parallelUsers.map((account) => client.login(account)));
      const refusals = { count: 0 };
      options.progress(
        `parallel run ${run + 1}/${options.runs}: ${uploads} uploads of ${sizeLabel(size)} at once, through the API and directly`,
      );
      const keys = uploaders.map((_, i) => `${prefix}/parallel-${run}-${i}.png`);
      const [viaApi, direct] = await rotated(run, [
        () =>
          atOnce(uploaders, async (uploader) => ({
            uploader,
            ...(await uploadRetryingRefusals(client, uploader, size, refusals)),
          })),
        () => atOnce(keys, (key) => s3.put(key, size)),
      ]);
      parallel.api.push(throughput(viaApi));
      parallel.direct.push(throughput(direct));
      parallel.ratio.push(throughput(viaApi) / throughput(direct));
      parallel.refusals.push(refusals.count);
      await Promise.all(viaApi.results.map(({ uploader, filename }) => client.delete(uploader, filename)));
      await Promise.all(keys.map((key) => s3.remove(key)));
      // Memory taken for a burst of uploads should be given back.
      await setTimeout(settleMs);
      for (const service of services) afterBurst.get(service)?.push(rssMb(stack.servicePids[service]));
      options.progress(
        `parallel run ${run + 1}/${options.runs}: api ${throughput(viaApi).toFixed(0)} / direct ${throughput(direct).toFixed(0)} MiB/s ` +
          `(${refusals.count} refusals retried); then idle: ${services.map((service) => `${service} ${(afterBurst.get(service)?.[run] ?? 0).toFixed(0)}`).join(', ')} MiB`,
      );
    }
  } finally {
    s3.close();
    s3ThroughRelay.close();
    relay.stop();
  }

  const metrics: Metric[] = [];
  for (const direction of directions) {
    for (const size of sizes) {
      const result = results[direction].get(size);
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
          ...(direction === 'download' ? { target: downloadRatioTarget(size === smallest) } : {}),
          description: `${direction} throughput, API / direct, ${sizeLabel(size)} file`,
        },
        {
          name: `${direction}.relay.${sizeLabel(size)}`,
          unit: 'MiB/s',
          samples: result.relay,
          description: `${direction} throughput through one bare Node HTTP hop in front of S3, ${sizeLabel(size)} file`,
        },
        {
          name: `${direction}.relayRatio.${sizeLabel(size)}`,
          unit: 'x',
          samples: result.relayRatio,
          description: 'bare relay / direct: the most any path with one Node hop can reach here',
        },
      );
    }
    for (const hop of ['api', 'image', 'relay'] as const) {
      const hopName = hop === 'relay' ? 'bare relay' : `${hop} service`;
      metrics.push(
        {
          name: `${direction}.cpuSeconds.${hop}.${sizeLabel(largest)}`,
          unit: 's',
          samples: hopUsage[direction][hop].map((usage) => usage.cpuSeconds),
          description: `CPU seconds the ${hopName} spent on one ${sizeLabel(largest)} ${direction}`,
        },
        {
          name: `${direction}.pageFaults.${hop}.${sizeLabel(largest)}`,
          unit: 'count',
          samples: hopUsage[direction][hop].map((usage) => usage.minorFaults),
          description: `pages the ${hopName} faulted in (touched anew, or again after malloc gave them back) during one ${sizeLabel(largest)} ${direction}`,
        },
      );
    }
  }
  // The headline upload ratio: the worst size's in each run (downloads have a target per size).
  metrics.push({
    name: 'upload.ratio',
    unit: 'x',
    samples: Array.from({ length: options.runs }, (_, run) =>
      Math.min(...sizes.map((size) => results.upload.get(size)?.ratio[run] ?? Number.NaN)),
    ),
    target: { comparison: '>=', value: 0.95 },
    description: 'upload throughput through the API / straight to S3, the lowest over the sizes in each run',
  });

  metrics.push(
    {
      name: `uploads.parallel.api.${options.parallel.uploads}x${sizeLabel(options.parallel.size)}`,
      unit: 'MiB/s',
      samples: parallel.api,
      description: `${options.parallel.uploads} uploads at once through the API (one account each, refusals retried), all their bytes over the time until the last is stored`,
    },
    {
      name: `uploads.parallel.direct.${options.parallel.uploads}x${sizeLabel(options.parallel.size)}`,
      unit: 'MiB/s',
      samples: parallel.direct,
      description: 'the same, straight to S3 with multipart uploads',
    },
    {
      name: 'uploads.parallel.refusals',
      unit: 'count',
      samples: parallel.refusals,
      description: 'uploads the API refused (503 capacity, 429) and the client retried, in each run',
    },
    {
      name: 'uploads.parallel.ratio',
      unit: 'x',
      samples: parallel.ratio,
      target: { comparison: '>=', value: 0.9 },
      description: 'aggregate throughput of the parallel uploads, API / direct',
    },
  );

  for (const direction of directions) {
    const growth = (run: number, service: ServiceName) =>
      (peaks[direction].get(largest)?.[run]?.[service].peakMb ?? Number.NaN) -
      (peaks[direction].get(smallest)?.[run]?.[service].peakMb ?? Number.NaN);
    for (const service of services) {
      metrics.push({
        name: `memory.${service}.${direction}.peakRssMB.${sizeLabel(largest)}`,
        unit: 'MiB',
        samples: (peaks[direction].get(largest) ?? []).map((sample) => sample[service].peakMb),
        description: `peak resident memory of ${service} during the ${sizeLabel(largest)} ${direction}`,
      });
      metrics.push({
        name: `memory.${service}.${direction}.rssGrowthMB`,
        unit: 'MiB',
        samples: Array.from({ length: options.runs }, (_, run) => growth(run, service)),
        description: `${service}'s peak RSS during the ${sizeLabel(largest)} ${direction} minus during the ${sizeLabel(smallest)} one`,
      });
    }
    metrics.push({
      name: `memory.${direction}.maxRssGrowthMB`,
      unit: 'MiB',
      samples: Array.from({ length: options.runs }, (_, run) =>
        Math.max(...services.map((service) => growth(run, service))),
      ),
      target: { comparison: '<=', value: 16 },
      description: `the largest growth of peak RSS over all services, largest ${direction} vs smallest`,
    });
  }
  for (const service of services) {
    metrics.push({
      name: `memory.${service}.idleRssMB`,
      unit: 'MiB',
      samples: idle.get(service) ?? [],
      target: { comparison: '<=', value: 100 },
      description: `resident memory of ${service} ${settleMs / 1000} s after each run's single transfers (warm, idle)`,
    });
    metrics.push({
      name: `memory.${service}.idleAfterParallelRssMB`,
      unit: 'MiB',
      samples: afterBurst.get(service) ?? [],
      description: `resident memory of ${service} ${settleMs / 1000} s after each burst of parallel uploads`,
    });
  }
  return metrics;
}
