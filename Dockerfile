# Kairos server image. Debian (glibc) base: the uWebSockets.js binary in
# @trufflesuite/uws-js-unofficial is built for glibc and Node 20's ABI, and Kairos refuses to
# start on its pure-Node fallback, so do not switch to Alpine (musl) or another Node major
# without checking that the native binary loads.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (lmdb, msgpackr and uWS ship prebuilt binaries);
# --ignore-scripts also skips our own `prepare` (the sources are not copied yet).
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY actors ./actors
COPY src ./src
# No load-tests/ and no scenarios/: tsconfig.build.json's include skips what is absent, so
# dist/ holds the server only (src/dockerfile.test.ts checks these rules; docs/deploy.md).
# The console (docs/console.md): built by Vite into dist/console with the server; its API
# types are regenerated into console/src/api from the operations (schemas/openapi.json too).
COPY console ./console
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev && test -f dist/console/index.html && test ! -e dist/load-tests

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    KAIROS_ENV=production \
    KAIROS_HOST=0.0.0.0 \
    KAIROS_PORT=8080 \
    KAIROS_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY demo ./demo
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# KAIROS_ENV=production refuses to start with the demo credentials, the demo bank or the
# manual clock: set KAIROS_GATEWAY_TOKENS, KAIROS_ADMIN_KEYS and KAIROS_DEMO=false (and
# KAIROS_CATALOG_FILE for campaigns; see README.md). KAIROS_ENV=development runs the demo.
# Liveness: /health (200 while the process is up). Not /ready, which is 503 during the drain
# and while the store is unreachable: a container that is alive but draining is not unhealthy.
# TLS (KAIROS_TLS_*) would need https here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KAIROS_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/kairos.js"]
CMD ["serve"]
