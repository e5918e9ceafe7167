# syntax=docker/dockerfile:1

# Parley image: one image for both processes.
#   API (default):  node dist/api/main.js
#   Worker:         node dist/worker/main.js  (the worker bundles workflow code from dist/workflows at start)
# No Docker engine runs on the dev machines; test/unit/docker-compose.test.ts checks this file.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first so source edits do not invalidate the install layer.
# npm ci runs the dependencies' install scripts (@swc/core, esbuild, protobufjs) but not the
# project's own prestart/pretest bootstrap, which only matters for the embedded dev stack.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
