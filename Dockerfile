# Account Portal: one image for web (granian, config/server.py), worker and beat (celery) and
# migrations.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var

WORKDIR /app
# espeak-ng reads the CAPTCHA aloud (its audio alternative) in the page's language; without it
# the page offers no audio. tzdata: the time zones people read times in (accounts.time_zones
# reads zoneinfo's database; a slim image need not have it, and every zone would be UTC).
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng tzdata \
 && rm -rf /var/lib/apt/lists/*
# The pinned pip and setuptools first (requirements-pip.lock), then the lock, as tools/venv.py
# does: the image's own pip may be too old to read the lock once upstream releases something
# new, and a source-only package builds with the pinned setuptools.
COPY requirements-pip.lock requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-pip.lock \
 && pip install --no-cache-dir --no-build-isolation --require-hashes -r requirements.lock

COPY . .
# Static files are collected with hashed names at build time; the settings it needs to start
# are placeholders here, the real ones come from the environment at run time.
RUN python -c "from config.signing_keys import new_private_key; print(new_private_key())" \
      > /tmp/build-key.pem \
 && SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghij \
    ENCRYPTION_KEYS=collectstatic-only-not-a-secret-0123456789abcdefghij \
    OIDC_SIGNING_KEYS=/tmp/build-key.pem \
    ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput -v 0 \
 && rm /tmp/build-key.pem \
 && useradd --create-home --uid 10001 portal \
 && mkdir -p /app/var && chown portal /app/var

USER portal
EXPOSE 8000
CMD ["python", "-m", "config.server"]
