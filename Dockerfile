# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the full dependency set.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
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
LABEL refit.self="true" \
      org.opencontainers.image.title="refit" \
      org.opencontainers.image.description="Keeps the containers on a Docker host running their newest image, safely."
# node runs as PID 1 directly so SIGTERM reaches refit and it can stop gracefully.
ENTRYPOINT ["node", "/app/bin/refit.js"]
