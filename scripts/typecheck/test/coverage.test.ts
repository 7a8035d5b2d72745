// `npm run typecheck` (tsc -b) checks every TypeScript file in the repository: each tracked .ts file is
// a root file of a project that the solution tsconfig.json references. Generated code is not ours to check.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const repoRoot = resolve(import.meta.dirname, '../../..');
const generated = 'packages/database/src/generated/';

function parseConfig(configFile: string): ts.ParsedCommandLine {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, host);
  assert.ok(parsed, `${configFile} could not be read`);
  const errors = parsed.errors.map((error) => ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  assert.deepEqual(errors, [], `${relative(repoRoot, configFile)} has errors`);
  return parsed;
}

function trackedTypeScriptFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: repoRoot, encoding: 'utf8' }).split('\n');
  return files.filter((file) => file !== '' && !file.startsWith(generated));
}

test('every tracked .ts file is in a project of the solution tsconfig.json', () => {
  const solution = parseConfig(resolve(repoRoot, 'tsconfig.json'));
  const projects = (solution.projectReferences ?? []).map((reference) => ts.resolveProjectReferencePath(reference));
  assert.ok(projects.length > 0, 'tsconfig.json references no project');

  const checked = new Set(
    projects.flatMap((project) => parseConfig(project).fileNames.map((file) => relative(repoRoot, file))),
  );
  const unchecked = trackedTypeScriptFiles().filter((file) => !checked.has(file));
  assert.deepEqual(unchecked, [], 'files no project of tsconfig.json type-checks');
});
