# Backend image: the FastAPI backend + the ml package, serving the frontend's static export.
# Build from the repository root: docker build -f docker/backend.Dockerfile .

# --- stage 1: the Next.js static export (frontend/out) ---
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/ ./
RUN npm ci && npm run build

# --- stage 2: Python runtime ---
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PERSONAS_HOME=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ml/ ./ml/
COPY backend/ ./backend/
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir .
COPY --from=frontend /src/frontend/out ./frontend/out
RUN useradd --create-home --uid 10001 personas && mkdir -p /data && chown personas /data
USER personas
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/v1/ready', timeout=4).status == 200 else 1)"
CMD ["python", "-m", "backend", "--store", "sqlite:////data/personas.db", "--host", "0.0.0.0", "--port", "8000", \
     "--frontend-dir", "/app/frontend/out"]
