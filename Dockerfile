# Production image: gunicorn serves the app, whitenoise serves the static files collected
# at build time (front-end assets come from npm, never from a CDN).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# pg_dump / pg_restore for manage.py backup_db and restore_db (version 15, as the db service);
# Pango and CJK fonts for the PDFs WeasyPrint renders (考核登记表, results lists): Noto CJK for
# the text, HanaMin for rare name characters of CJK Extension B
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-hanazono \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/node_modules ./node_modules
# collectstatic needs settings but no real secrets
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.db \
    CELERY_BROKER_URL=redis://localhost:6379/0 DJANGO_FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1rZXktbm90LWZvci1hbnktZGF0YSE= \
    DJANGO_ID_HASH_KEY=build-only-hash-key-not-used-for-any-data python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 app && chown -R app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
