// The journey prober in the cluster: it reaches the platform as a user does, through the edge's Service over TLS,
// trusting only the edge's CA (the Secret the cluster tool writes where cert-manager would issue one), and its
// journeys (log in, upload, read back byte for byte, delete) succeed, as the in-cluster Prometheus scraped them, and
// its large uploads (the upload throughput SLO's) are answered and counted.
import { describe, test } from 'node:test';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { prometheusScalar, report } from './support.ts';

const journeys = (outcomes: string) =>
  prometheusScalar(`sum(prober_journeys_total{job="prober",outcome=~"${outcomes}"}) or vector(0)`);
const largeUploads = (outcome: string) =>
  prometheusScalar(`sum(prober_large_uploads_total{job="prober",outcome="${outcome}"}) or vector(0)`);

describe('the journey prober', () => {
  test('journeys through the edge and gets the same bytes back', async () => {
    // One journey every 30 s; the first may still be under way.
    const succeeded = await waitFor(
      'no journey of the prober succeeded',
      async () => {
        const count = await journeys('success');
        return count > 0 && count;
      },
      { timeoutMs: 120_000 },
    );
    const failed = await journeys('login_failed|upload_failed|read_failed|checksum_mismatch|delete_failed|timeout');
    // The first journey's slot ends with a large upload: answered 201, fast or slow (how fast is this machine's
    // to say, and the SLO's to judge; that it arrived whole and was counted is this test's).
    const answered = await waitFor(
      'no large upload of the prober was answered 201',
      async () => {
        const count = (await largeUploads('fast')) + (await largeUploads('slow'));
        return count > 0 && count;
      },
      { timeoutMs: 60_000 },
    );
    const large = { fast: await largeUploads('fast'), slow: await largeUploads('slow') };
    report('prober', { succeeded, failed, largeAnswered: answered, largeFast: large.fast, largeSlow: large.slow });
  });
});
