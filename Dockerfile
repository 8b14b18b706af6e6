# syntax=docker/dockerfile:1
# Multi-stage build of the gateway. Build: compile TypeScript, then drop dev dependencies. Runtime: the compiled
# code, production node_modules and the few data files tsc does not emit, run as the unprivileged `node` user.

# Both stages must use the same image: the native modules (better-sqlite3, hnswlib-node) are built in the first
# and run in the second. Debian (glibc), not Alpine (musl): onnxruntime-node ships linux binaries for glibc
# (>= 2.28) only; tiktoken is WASM and runs on either.
# Node 20 is what the test suite runs on, but it reached end of life on 2026-04-30 (no more security fixes):
# build with --build-arg NODE_IMAGE=node:22-bookworm-slim (or 24) once the suite passes on that version.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 falls back to node-gyp when no prebuilt binary matches; hnswlib-node always compiles.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
# Exactly the lockfile (npm ci fails if it is out of sync with package.json). onnxruntime-node's install script
# would otherwise fetch CUDA binaries from NuGet on linux/x64; .npmrc skips it too, but npm 11 warns that it will
# stop passing unknown .npmrc keys to scripts, and the script reads this variable first.
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
COPY guards ./guards
COPY config ./config
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    GATEWAY_DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time from the package root (src/paths.ts): config (default config, OpenAI request schema),
# the dashboard's static files, the injection detector's weights and the PII name/place lexicons.
COPY --from=build /app/config ./config
COPY --from=build /app/src/dashboard/public ./src/dashboard/public
COPY --from=build /app/guards/injection/model.json ./guards/injection/model.json
COPY --from=build /app/guards/pii/lexicon ./guards/pii/lexicon
# /app/data (embedded state) and /app/models (the local embedder's modelDir) belong to `node` (uid 1000), set
# before VOLUME (later changes to a volume path are discarded); a bind-mounted data dir must be writable by 1000.
# transformers.js caches hub downloads (config/gateway.yaml has allowRemote: true) in .cache inside its package,
# which is root's here: point it at /app/models, where the files land in the <model>/<file> layout modelDir reads,
# so a volume on /app/models keeps them and later starts need no hub.
RUN mkdir -p /app/data /app/models && chown node:node /app/data /app/models \
 && ln -s /app/models node_modules/@huggingface/transformers/.cache
USER node
EXPOSE 8080
VOLUME ["/app/data"]
# /readyz: 200 when the state store answers (or failMode is open); node has fetch, the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) drains: stop accepting, finish streams within server.shutdownGraceMs, settle, exit 0.
STOPSIGNAL SIGTERM
# The node flags are those of `npm start` (package.json; docs/performance.md says why).
CMD ["node", "dist/src/launch.js"]
