# One image per service: docker build -f deploy/docker/service.Dockerfile \
#   --build-arg SERVICE=organizations -t gongjian/organizations .   (context: repository root)
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ARG SERVICE
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# The workspace's manifests first, so dependency layers are cached across code changes.
COPY pyproject.toml uv.lock ./
COPY libs/kit/pyproject.toml libs/kit/
COPY services/organizations/pyproject.toml services/organizations/
COPY services/activities/pyproject.toml services/activities/
COPY services/evaluation/pyproject.toml services/evaluation/
COPY deploy/pyproject.toml deploy/
RUN uv sync --frozen --no-dev --no-install-workspace --package gongjian-${SERVICE}
COPY libs/kit libs/kit
COPY services/${SERVICE} services/${SERVICE}
RUN uv sync --frozen --no-dev --no-editable --package gongjian-${SERVICE}

FROM python:3.11-slim
ARG SERVICE
RUN useradd --system --uid 10001 gongjian
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    SERVICE=${SERVICE} \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8080
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["sh", "-c", "exec python -m gongjian_${SERVICE}"]
