# syntax=docker/dockerfile:1.7
# The services' image (api, auth, image, and the journey prober) and the migration Job's. Build from the repository root (the services share
# packages/ and the lockfile):
#   docker build --build-arg SERVICE=api -t platform/api:dev .        # SERVICE: api | auth | image | prober
#   docker build --target migrate -t platform/migrate:dev .
# The service runs as one ES module bundled from its TypeScript sources by esbuild (scripts/bundle.ts): no type
# stripping and less code at start, 25-30 MiB less resident memory than running the sources.
# The base is pinned by exact tag; pin the digest too when you can reach the registry:
#   docker buildx imagetools inspect node:24.21.0-bookworm-slim
# Without a registry, scripts/images/build.sh builds a stand-in from Debian packages and passes it as NODE_IMAGE.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- manifests: the lockfile and every workspace's package.json, which npm ci needs to see the whole lockfile.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/runtime/package.json packages/runtime/
COPY packages/database/package.json packages/database/
COPY packages/test-client/package.json packages/test-client/
COPY services/api/package.json services/api/
COPY services/auth/package.json services/auth/
COPY services/image/package.json services/image/
COPY services/prober/package.json services/prober/
COPY e2e/package.json e2e/

# --- deps: production dependencies of this service only (no install scripts, as in development).
FROM ${NODE_IMAGE} AS deps
ARG SERVICE
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm \
    case "$SERVICE" in api|auth|image|prober) ;; *) echo "build with --build-arg SERVICE=api|auth|image|prober" >&2; exit 1 ;; esac; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @platform/${SERVICE} --include-workspace-root=false

# --- build: the database package's production dependencies, which include the Prisma CLI (a peer of @prisma/client),
#     and the Prisma client generated from the schema. The same for every service, so built once.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @platform/database --include-workspace-root=false
COPY prisma.config.ts ./
COPY prisma prisma
COPY packages/database/src/roles.ts packages/database/src/wait-for-database.ts packages/database/src/
RUN npx prisma generate

# --- bundle: the service and the workspace packages it imports in one module, services/<service>/dist/main.mjs, built
#     with the service's development dependencies (esbuild).
FROM ${NODE_IMAGE} AS bundle
ARG SERVICE
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund --workspace @platform/${SERVICE} --include-workspace-root=false
COPY packages packages
COPY --from=build /app/packages/database/src/generated packages/database/src/generated
COPY services/${SERVICE} services/${SERVICE}
COPY scripts/bundle.ts scripts/
RUN node scripts/bundle.ts ${SERVICE}

# --- migrate: `prisma migrate deploy`, then the services' roles (packages/database/src/roles.ts applies
#     prisma/roles.sql); the Job in helm/charts/migrations runs it.
FROM ${NODE_IMAGE} AS migrate
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER 1000:1000
CMD ["node", "node_modules/prisma/build/index.js", "migrate", "deploy"]

# --- app: what npm ci installed (node_modules, and a workspace's own node_modules where npm nested a second version
#     of a package: busboy 1.x for image, newer OpenTelemetry packages for runtime), the service's sources and the
#     workspace packages it depends on, which are the ones npm ci linked into node_modules/@platform; the generated
#     Prisma client goes with packages/database, so only auth and image get it.
FROM ${NODE_IMAGE} AS app
ARG SERVICE
WORKDIR /app
COPY --from=deps /app ./
COPY packages packages
COPY --from=build /app/packages/database/src/generated packages/database/src/generated
COPY services/${SERVICE} services/${SERVICE}
COPY --from=bundle /app/services/${SERVICE}/dist services/${SERVICE}/dist
RUN for package in packages/*; do [ -e "node_modules/@platform/${package#packages/}" ] || rm -r "$package"; done; \
    for service in services/*; do [ "$service" = "services/${SERVICE}" ] || rm -r "$service"; done

# --- runtime: production node_modules (the bundle leaves native addons to them) and the bundle, non-root, nothing
#     written outside /tmp. The service's port is its configuration default (api 3000, auth 3001, image 3002,
#     prober 3003; metrics 9464).
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0
COPY --from=app /app/node_modules node_modules
COPY --from=app /app/packages packages
COPY --from=app /app/services services
# The node image's "node" user (uid 1000); numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
WORKDIR /app/services/${SERVICE}
# Exec form: node is PID 1 and receives SIGTERM itself (the services drain on it).
CMD ["node", "dist/main.mjs"]
