# Build stage: compile TypeScript with the full dependency set.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `npm ci` would otherwise run the `prepare` script (the build) before the
# sources are here. No dependency needs its install script (ssh2's native crypto is optional).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled output only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The swap journal lives here; a volume keeps it across a recreate of refit's own container, so
# refit can finish or undo a swap that a crash interrupted.
VOLUME /var/lib/refit
LABEL refit.self="true" \
      org.opencontainers.image.title="refit" \
      org.opencontainers.image.description="Keeps the containers on a Docker host running their newest image, safely." \
      org.opencontainers.image.licenses="MIT"
# node runs as PID 1 directly so SIGTERM reaches refit and it can stop gracefully.
ENTRYPOINT ["node", "/app/bin/refit.js"]
