// The subset of Go text/template that argocd/applicationset.yaml uses ({{ .a.b }}, {{- if .x }} ... {{- else }} ...
// {{- end }}, with trim markers), so the tests can expand the ApplicationSet exactly as its controller would.
// Anything else in a template is an error here, so the file cannot silently drift beyond what is checked.

import { must } from './repo.ts';

type Params = Record<string, unknown>;

function lookup(params: Params, path: string): unknown {
  if (!path.startsWith('.')) throw new Error(`unsupported template expression: ${path}`);
  let value: unknown = params;
  for (const part of path.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) throw new Error(`missingkey=error: ${path}`);
    value = (value as Params)[part];
  }
  return value;
}

export function renderTemplate(template: string, params: Params): string {
  const tokens = template.split(/(\{\{-?\s*[^}]*?\s*-?\}\})/);
  // Apply trim markers: "{{-" trims whitespace before, "-}}" after.
  for (let i = 1; i < tokens.length; i += 2) {
    if (/^\{\{-/.test(must(tokens[i]))) tokens[i - 1] = must(tokens[i - 1]).replace(/\s+$/, '');
    if (/-\}\}$/.test(must(tokens[i]))) tokens[i + 1] = must(tokens[i + 1]).replace(/^\s+/, '');
  }
  let out = '';
  const stack: { active: boolean; parentActive: boolean }[] = [];
  const active = (): boolean => stack.every((s) => s.active);
  for (let i = 0; i < tokens.length; i++) {
    const token = must(tokens[i]);
    if (i % 2 === 0) {
      if (active()) out += token;
      continue;
    }
    const action = token.replace(/^\{\{-?\s*/, '').replace(/\s*-?\}\}$/, '');
    let m: RegExpExecArray | null;
    if ((m = /^if (\.[\w.]+)$/.exec(action)))
      stack.push({ active: Boolean(lookup(params, must(m[1]))), parentActive: active() });
    else if (action === 'else') {
      const top = stack.at(-1);
      if (!top) throw new Error('else without if');
      top.active = !top.active;
    } else if (action === 'end') {
      if (!stack.pop()) throw new Error('end without if');
    } else if (/^\.[\w.]+$/.test(action)) {
      if (active()) out += String(lookup(params, action));
    } else throw new Error(`unsupported template action: {{ ${action} }}`);
  }
  if (stack.length) throw new Error('unterminated if');
  return out;
}

/** Deep-renders every string in a value. */
export function renderValue<T>(value: T, params: Params): T {
  if (typeof value === 'string') return renderTemplate(value, params) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => renderValue(v, params)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [renderTemplate(k, params), renderValue(v, params)]),
    ) as T;
  return value;
}

/** Merges a patch into a target the way ArgoCD applies templatePatch (a strategic merge of maps). */
export function mergePatch(target: Params, patch: Params): Params {
  const out: Params = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current)
        ? mergePatch(current as Params, value as Params)
        : value;
  }
  return out;
}
