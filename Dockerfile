# planbot's web app (`planbot serve`: the SMS and Telegram webhooks, profile pages, /healthz).
#   docker build -t planbot .
#   docker run --env-file planbot.env -p 127.0.0.1:8000:8000 -v planbot-data:/data planbot
# With PostgreSQL beside it: compose.yaml. How to run it for real: docs/deploy.md.

# The Python that constraints.txt was made with (planbot needs 3.11 or newer).
FROM python:3.11-slim-bookworm

# WeasyPrint draws the PDF and the picture with Pango; the profile's type is DejaVu Sans.
# The offline voice (eSpeak NG) and the sound files' library come inside planbot's wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# planbot runs as a user of its own, never as root.
RUN useradd --system --create-home --home-dir /home/planbot --shell /usr/sbin/nologin planbot \
    && mkdir /data && chown planbot:planbot /data && chmod 700 /data

WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY planbot ./planbot
COPY bot ./bot
COPY dialogues ./dialogues
COPY easyread ./easyread
COPY storage ./storage
# The versions planbot was tested with (constraints.txt), and nothing for development.
RUN pip install --no-cache-dir --disable-pip-version-check -c constraints.txt . \
    && rm -rf /src

USER planbot
WORKDIR /home/planbot
# The offline voice: no one's words are sent to Google unless you choose PLANBOT_TTS=gtts.
ENV PLANBOT_DATA_DIR=/data \
    PYTHONUNBUFFERED=1 \
    PLANBOT_TTS=espeak
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["planbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
