// The cluster stage's one-line summary, from the figures the suites reported.
import { reportedFigures } from '../lib/results.ts';

const {
  install,
  walkthrough,
  'network-policy': network,
  healing,
  prober,
} = reportedFigures('cluster', ['install', 'walkthrough', 'network-policy', 'healing', 'prober']);
console.log(
  `cluster: ${String(install['charts'])} charts installed, ${String(install['podsReady'])} pods ready on a real node, ` +
    `walk-through via ${String(walkthrough['edge'])} ok, netpol ${String(network['allowed'])} allowed + ${String(network['denied'])} denied as expected, ` +
    `healing ${healing['ok'] === true ? 'ok' : 'FAILED'}, prober journeys ${String(prober['succeeded'])} ok + ${String(prober['failed'])} failed, large uploads ${String(prober['largeFast'])} fast + ${String(prober['largeSlow'])} slow`,
);
