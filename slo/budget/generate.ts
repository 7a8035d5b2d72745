// Writes the error budget policy's alert of each SLO spec (slo/specs/<service>.yml) into a rules
// directory: <rules-dir>/<service>-budget.yml, for production or, with --drill, for the live drill.
//
//   node slo/budget/generate.ts <rules-dir> [--drill] [--interval=<duration>]
//
// <Service>ErrorBudgetExhausted fires while an SLO's 30-day error budget is spent (Sloth's
// slo:period_error_budget_remaining:ratio at or below 0). It is a ticket, not a page: the burn-rate
// alerts already paged while the budget went; this one says the policy is in force (slo/README.md):
// reliability work first, and scripts/promote refuses to promote to prod, unless overridden with a
// reason, for as long as it would fire (it runs the expression written here, without the wait).
import { join } from 'node:path';
import { readSpecs, ruleInterval, titleOf, writeRulesFile } from '../lib/rules-output.ts';

/** Long enough that a budget hovering at zero does not flap the ticket. */
const WAIT = '5m';

const [rulesDir] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const drill = process.argv.includes('--drill');
const interval = ruleInterval();
if (rulesDir === undefined) {
  process.stderr.write('usage: node slo/budget/generate.ts <rules-dir> [--drill]\n');
  process.exit(2);
}

for (const spec of await readSpecs()) {
  const rules = {
    groups: [
      {
        name: `${spec.service}-slo-budget-policy`,
        ...(interval === undefined ? {} : { interval }),
        rules: [
          {
            alert: `${titleOf(spec.service)}ErrorBudgetExhausted`,
            expr: `slo:period_error_budget_remaining:ratio{sloth_service="${spec.service}"} <= 0`,
            for: WAIT,
            labels: { ...spec.labels, severity: 'ticket', category: 'error-budget' },
            annotations: {
              summary:
                'The 30-day error budget of {{ $labels.sloth_id }} is spent ({{ $value | humanizePercentage }} of it left): the error budget policy is in force, reliability work first, and scripts/promote refuses prod promotions without an override reason.',
              runbook: `slo/RUNBOOK.md#error-budget-exhausted`,
            },
          },
        ],
      },
    ],
  };
  await writeRulesFile(
    join(rulesDir, `${spec.service}-budget.yml`),
    [
      `Generated from slo/specs/${spec.file} by \`npm run slo:generate\` (slo/budget/generate.ts${drill ? ' --drill' : ''}). Never edit by hand.`,
      `The ${spec.service}'s error budget policy alert (see the generator); scripts/promote runs its expression.`,
    ],
    rules,
  );
}
