# syntax=docker/dockerfile:1
#
# Bradford Early Years Navigator: one image for both installs.
#
#   docker build -t navigator .
#   docker run -p 8000:8000 -v navigator-data:/data navigator          # one small VM, SQLite
#   docker run -p 8000:8000 -e NAVIGATOR_DATABASE_URL=postgresql+psycopg://user:pass@db/navigator \
#       navigator                                                       # a replica on PostgreSQL
#
# At start the server migrates the database (Alembic; replicas starting together take turns) and
# loads the seed into an empty one. Logs are JSON lines on stdout; they never hold a request body
# or a query string.
#
# Environment (all optional):
#   NAVIGATOR_DATABASE_URL      any SQLAlchemy URL; default: the SQLite file /data/navigator.db
#   NAVIGATOR_DATA_DIR          where that SQLite file lives: /data, a volume
#   NAVIGATOR_WORKERS           server processes (default 1). A VM: one per core. Behind a load
#                               balancer: keep 1 and run more replicas.
#   NAVIGATOR_SHUTDOWN_TIMEOUT  seconds in-flight requests get after SIGTERM (default 10; give
#                               `docker stop -t` / compose stop_grace_period a little more)
#   NAVIGATOR_LOG_LEVEL         INFO
#   NAVIGATOR_ACCESS_LOG        true: one JSON line per request (method, path, status, time)
#   NAVIGATOR_CORS_ORIGINS      JSON list of other trust systems' origins, e.g. ["https://x.nhs.uk"]
#   NAVIGATOR_MAX_BODY_BYTES    request body limit (default 1000000)
#   NAVIGATOR_READ_KEY_REQUIRED true on private deployments: every read needs an API key
#   NAVIGATOR_SEED_FILE         what an empty database is loaded from (default: the shipped seed)
#   NAVIGATOR_POSTCODE_DIR      the postcode table (default: the shipped one)
#   FORWARDED_ALLOW_IPS         uvicorn: proxies whose X-Forwarded-* headers are trusted
#                               (default 127.0.0.1; set to your load balancer's address)
# The port is 8000 (the healthcheck asks there).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: our wheel and every dependency's, nothing else -----------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY navigator ./navigator
COPY api ./api
COPY web ./web
RUN pip wheel . -w /wheels

# --- run ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NAVIGATOR_DATA_DIR=/data

# Fonts for the commissioners' PNG downloads (resvg draws text with the system's fonts; the
# slim image has none).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels \
        bradford-early-years-navigator

# The seed and the postcode table are data, not code: shipped beside the package and named by
# the two settings (their defaults point into a source checkout). The check fails the build if
# the settings and the files ever part company.
COPY seed /app/seed
ENV NAVIGATOR_SEED_FILE=/app/seed/services.yaml \
    NAVIGATOR_POSTCODE_DIR=/app/seed/postcodes
RUN python -c "from navigator.settings import Settings; s = Settings(); \
assert s.seed_file.is_file(), s.seed_file; assert (s.postcode_dir / 'postcodes.csv').is_file()"

RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin navigator \
    && mkdir /data && chown navigator:navigator /data
VOLUME /data
USER navigator
WORKDIR /data
EXPOSE 8000

# No curl in slim images: ask with Python. /healthz answers 200 once the app can reach its database.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Exec form: the server is PID 1 and gets SIGTERM itself, for a graceful shutdown.
CMD ["navigator", "serve", "--host", "0.0.0.0"]
