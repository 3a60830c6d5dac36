# One image for every grokcat service; the command picks the service:
#   docker run grokcat start --services enricher      (or api, cataloger, trainer; several with commas)
#   docker run grokcat topics create                  (deployment step: topics, partitions, retention)
# Build: docker build -t grokcat .   (docker-compose.yml builds and runs the whole stack)

FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
# .npmrc tells onnxruntime-node's install step not to download CUDA files (its CPU/WebGPU library
# is in the package); a CUDA image passes --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 (docs/model.md).
ARG ONNXRUNTIME_NODE_INSTALL=
ENV ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY shared ./shared
COPY services ./services
COPY schemas ./schemas
COPY migrations ./migrations
# GROKCAT_HOME holds model versions (the trainer writes them, every enricher and api reads them):
# mount one shared volume there. Logs are JSON lines on stderr; the API listens on all interfaces.
ENV NODE_ENV=production \
    GROKCAT_HOME=/var/lib/grokcat \
    GROKCAT_LOG_FORMAT=json \
    GROKCAT_HTTP_HOST=0.0.0.0 \
    GROKCAT_DEMO_SEED_LISTINGS=0
RUN mkdir -p /var/lib/grokcat && chown node:node /var/lib/grokcat
USER node
EXPOSE 8080
# tini forwards SIGTERM to node, which finishes in-flight batches and leaves its consumer groups.
ENTRYPOINT ["tini", "--", "node", "bin/grokcat.js"]
CMD ["start"]
