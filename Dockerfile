# Build stage: compile TypeScript with the full dependency set.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `npm ci` would otherwise run the `prepare` script (the build) before the
# sources are here. No dependency needs its install script (ssh2's native crypto is optional).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Source maps are only read with --enable-source-maps, which the image does not use.
RUN npm run build && find dist -name '*.map' -exec rm -f {} +

# Production dependencies, in a stage of their own so npm's cache and logs never reach the
# image, trimmed of what Node never loads at run time: type declarations, TypeScript sources,
# source maps and documentation (licences stay).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
    && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
         -o -iname '*.md' -o -iname '*.markdown' \) -exec rm -f {} + \
    && rm -rf node_modules/@types

# Runtime stage: production dependencies, the compiled output and the launcher only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# The swap journal lives here; a volume keeps it across a recreate of refit's own container, so
# refit can finish or undo a swap that a crash interrupted. refit runs as root by default (the
# Docker socket is root's, group docker); the directory belongs to the image's `node` user so
# that `--user node --group-add <socket's group>` works with a fresh volume too, since Docker
# gives a new volume the ownership of the directory it is mounted over (docs/security.md).
RUN mkdir -p /var/lib/refit && chown node:node /var/lib/refit && chmod 0750 /var/lib/refit
VOLUME /var/lib/refit
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Watchtower's image is /watchtower, and compose files carry `healthcheck: ["CMD", "/watchtower",
# "--health-check"]` over from it; the same command reaches refit here (see docs/http-api.md).
RUN ln -s /app/bin/refit.js /watchtower
# Asks refit's own GET /healthz on the configured port (REFIT_HTTP_API_PORT, its flag, default
# 8080); passes without asking when the API is off (port 0), with --run-once, and in the
# short-lived helper a self-update starts. The timeout leaves room for /healthz's own 5 s engine
# ping, so a slow engine shows up as refit's answer rather than a killed probe.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD ["node", "/app/dist/healthcheck.js"]
# Set by CI: docker build --build-arg VERSION=… --build-arg REVISION=… --build-arg SOURCE=…
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=""
LABEL refit.self="true" \
      org.opencontainers.image.title="refit" \
      org.opencontainers.image.description="Keeps the containers on a Docker host running their newest image, safely." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="node:20-bookworm-slim"
# node runs as PID 1 directly (exec form, no shell) so SIGTERM reaches refit and it can stop
# gracefully, letting a running cycle finish. The V8 flags are those of bin/node-flags (why:
# there); a test keeps the two equal.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--heap-growing-percent=20", "--liftoff-only", "--no-opt", "--optimize-for-size", "--expose-gc", "/app/bin/refit.js"]
