# docker build -f deploy/docker/gateway.Dockerfile -t gongjian/gateway .   (context: repository root)
FROM node:20-slim
WORKDIR /gateway
COPY gateway/package.json gateway/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY gateway/*.ts gateway/supergraph.graphql ./
ENV ENVIRONMENT=production GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=4000 NODE_ENV=production
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=2s \
  CMD node -e "fetch('http://127.0.0.1:4000/healthcheck').then(r => process.exit(r.ok ? 0 : 1))"
CMD ["npx", "hive-gateway", "supergraph"]
