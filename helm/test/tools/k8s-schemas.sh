#!/usr/bin/env bash
# Kubernetes JSON schemas for kubeconform, offline: the strict schemas (additionalProperties: false) that the
# PyPI package kubernetes-validate ships, fetched once with pip (hash-pinned) and cached. Each kind's schema is
# made standalone (its $refs into _definitions.json inlined) because kubeconform does not resolve those
# relative references from a local file. Prints the schema directory.
set -euo pipefail
VERSION=1.37.0
SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
KUBERNETES=v1.34.0
TOOLS_DIR="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}"
OUT="$TOOLS_DIR/k8s-schemas/kubernetes-validate-$VERSION/$KUBERNETES-standalone-strict"
if [ -f "$OUT/.complete" ]; then echo "$OUT"; exit 0; fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "kubernetes-validate==$VERSION --hash=sha256:$SHA256" >"$work/requirements.txt"
python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$work/requirements.txt" -d "$work" >&2
python3 - "$work"/kubernetes_validate-*.whl "$OUT" "$KUBERNETES" <<'PY'
import json, os, re, sys, zipfile
wheel, out, version = sys.argv[1:4]
prefix = f'kubernetes_validate/kubernetes-json-schema/{version}-local-strict/'
z = zipfile.ZipFile(wheel)
definitions = json.loads(z.read(prefix + '_definitions.json'))['$defs']
REF = re.compile(r'^(?:(?:/api/)?_definitions\.json)?#/\$defs/(.+)$')
def rewrite(node, needed):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == '$ref' and isinstance(value, str) and (m := REF.match(value)):
                needed.add(m.group(1)); out[key] = '#/$defs/' + m.group(1)
            else:
                out[key] = rewrite(value, needed)
        return out
    if isinstance(node, list):
        return [rewrite(v, needed) for v in node]
    return node
os.makedirs(out, exist_ok=True)
count = 0
for name in z.namelist():
    if not name.startswith(prefix) or not name.endswith('.json') or name.endswith(('_definitions.json', 'all.json')):
        continue
    needed = set()
    schema = rewrite(json.loads(z.read(name)), needed)
    defs, queue = {}, list(needed)
    while queue:
        key = queue.pop()
        if key in defs: continue
        more = set()
        defs[key] = rewrite(definitions[key], more)
        queue.extend(more - defs.keys())
    if defs: schema['$defs'] = defs
    with open(os.path.join(out, name[len(prefix):]), 'w') as f:
        json.dump(schema, f, separators=(',', ':'))
    count += 1
open(os.path.join(out, '.complete'), 'w').write(f'{count}\n')
PY
echo "$OUT"
