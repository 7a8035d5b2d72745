// The gitops stage's one-line summary, from the figures the suites reported.
import { reportedFigures } from '../lib/results.ts';

const figures = reportedFigures('gitops', ['gitops-applications', 'gitops-dev', 'gitops-promotion', 'gitops-drill']);
console.log(
  `gitops: ${String(figures['gitops-applications']['applications'])} applications, dev synced ${String(figures['gitops-dev']['revision'])}, ` +
    `prod promoted to ${String(figures['gitops-promotion']['version'])}, drill page ${String(figures['gitops-drill']['pagedAfter'])} s, resolved ${String(figures['gitops-drill']['resolvedAfter'])} s`,
);
