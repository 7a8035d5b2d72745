// Configuration files are templates with ${name} placeholders, rendered by this one function.
import { readFileSync } from 'node:fs';

/** The template at `path` with every ${name} replaced; a placeholder without a value is an error. */
export function renderTemplate(path: string, values: Record<string, string | number>): string {
  const unknown = new Set<string>();
  const text = readFileSync(path, 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) unknown.add(name);
    return String(value);
  });
  if (unknown.size > 0)
    throw new Error(`${path}: no value for ${[...unknown].map((name) => '${' + name + '}').join(', ')}`);
  return text;
}
