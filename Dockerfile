# syntax=docker/dockerfile:1
# Multi-stage build of the gateway. Build: compile TypeScript, then drop dev dependencies. Runtime: the compiled
# code, production node_modules and the few data files tsc does not emit, run as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 falls back to node-gyp when no prebuilt binary matches; hnswlib-node always compiles.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
COPY guards ./guards
COPY config ./config
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    GATEWAY_DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time from the package root (src/paths.ts): config (default config, OpenAI request schema),
# the dashboard's static files, and the injection detector's weights.
COPY --from=build /app/config ./config
COPY --from=build /app/src/dashboard/public ./src/dashboard/public
COPY --from=build /app/guards/injection/model.json ./guards/injection/model.json
RUN mkdir -p /app/data /app/models && chown node:node /app/data /app/models
USER node
EXPOSE 8080
VOLUME ["/app/data"]
# /readyz: 200 when the state store answers (or failMode is open); node has fetch, the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) drains: stop accepting, finish streams within server.shutdownGraceMs, settle, exit 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli.js"]
