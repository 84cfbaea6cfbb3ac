# syntax=docker/dockerfile:1
# restore-hooks controller image. Build: docker build -t restore-hooks:0.1.0 .
# Pin NODE_IMAGE to a digest in your registry for reproducible builds.
ARG NODE_IMAGE=node:24-bookworm-slim

# Compiles to dist/ what the executables reach (tsconfig.build.json: the import graph of src/cli.ts and
# src/kubectl-plugin.ts), with the dev dependencies (TypeScript). The devcluster (src/devcluster, the simulator that
# `npm start` and the tests run from the sources) and the modules only tests use are not in that graph, so they stay
# in this stage; in the image, `restore-hooks start` and `devcluster` say so. test/manifests/image.test.ts rebuilds
# the image's file list from this file's COPY lines and checks it. Scripts are skipped: the `node` npm package
# would download a second Node.js, and the image already has Node 24. tsc runs on the image's node explicitly,
# not through node_modules/.bin, where that package's (uninstalled) `node` would come first on the PATH.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# Production dependencies only (the lockfile's packages not marked dev).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Runtime: root-owned, read-only application files; runs as a numeric non-root user (runAsNonRoot can verify it);
# writes nothing at run time, so readOnlyRootFilesystem works.
FROM ${NODE_IMAGE}
# tini as PID 1: it forwards SIGTERM to Node and reaps zombies. Node as PID 1 would ignore SIGTERM until the
# controller has installed its handlers (during start-up), so a pod deleted then would wait out its grace period.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# glibc malloc: two arenas instead of up to 8 per CPU (each keeps the free memory of its threads' bursts), and
# allocations of 8 KiB and more (network and TLS buffers) in their own mappings, returned to the OS when freed
# instead of fragmenting the heap; the dynamic threshold would otherwise grow to 32 MiB. At 10,000 restored pods
# this is about 50 MiB of steady-state RSS (docs/controller-machinery.md, Memory).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=8192
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
USER 65532:65532
EXPOSE 8080 8081
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
# --max-semi-space-size=8: V8 otherwise sizes its young generation from the memory it sees (2 x 32 MB semi-spaces
# on a large node), and a restore's burst of list and watch garbage grows it to that and keeps it resident. 8 MB
# halves the controller's RSS growth during a restore for a little more GC (docs/performance.md, Memory).
# --expose-gc: once its work queues are idle after a burst, the controller runs one full collection that returns the
# burst's heap to the OS (IdleHeapRelease, docs/controller-machinery.md, Memory); nothing else calls gc().
# The bench starts the controller with the node flags of this line and the ENV of this stage.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=8", "--expose-gc", "dist/cli.js", "run"]
