# Every Convoy service's image, from the repository root (the build context):
#
#   docker build --build-arg SERVICE=position-tracker -t convoy/position-tracker .
#   docker build --build-arg SERVICE=media --target service-ffmpeg -t convoy/media .
#
# SERVICE is a folder of services/. media and converter run ffprobe and ffmpeg: they are built as
# the `service-ffmpeg` target; every other service is the default, `service`. compose.yaml and CI
# build each image this way; docs/deploy.md#containers explains the choices.

# The one place that names Node's version (the same as the package.json's `node`).
FROM node:24.21.0-bookworm-slim AS node

# 1. Compile: the whole workspace's dependencies, dev ones included (esbuild, Vite), then the
#    service's bundle (scripts/bundle.ts). Everything up to the ARG is the same for every service,
#    so the layer cache builds it once.
FROM node AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/convoy/package.json apps/convoy/
COPY packages/access/package.json packages/access/
COPY packages/contracts/package.json packages/contracts/
COPY packages/geo/package.json packages/geo/
COPY packages/platform/package.json packages/platform/
COPY packages/tracks/package.json packages/tracks/
COPY services/auth/package.json services/auth/
COPY services/converter/package.json services/converter/
COPY services/fleet-events/package.json services/fleet-events/
COPY services/gateway/package.json services/gateway/
COPY services/media/package.json services/media/
COPY services/notification/package.json services/notification/
COPY services/position-simulator/package.json services/position-simulator/
COPY services/position-tracker/package.json services/position-tracker/
COPY services/web/package.json services/web/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY scripts/bundle.ts scripts/
COPY packages packages
COPY services services
ARG SERVICE
RUN test -n "$SERVICE" || { echo 'build with --build-arg SERVICE=<a folder of services/>' >&2; exit 1; } \
  && npm run build --workspace="@convoy/$SERVICE" --if-present \
  && node scripts/bundle.ts "$SERVICE" --out /out

# 2. ffmpeg and ffprobe for media and converter, compiled from Debian's own source of its ffmpeg
#    package (so bookworm's security fixes arrive with a rebuild) with only what Convoy asks of
#    them: the file protocol, the video containers media accepts (with the raw video demuxers
#    that MPEG-PS and MPEG-TS use to tell a video stream from audio, and a few audio-only ones,
#    only so that a refusal can name them), the audio codecs cameras and phones record, the MP3 encoder
#    (LAME) and muxer. 3 MB each, instead of the ~490 MB of libraries Debian's ffmpeg package
#    brings. The LGPL build: no GPL parts are enabled. No scanner sees a compiled binary: the
#    Debian version it comes from is kept in /usr/local/share/doc/ffmpeg/debian-source-version.
FROM node AS ffmpeg
RUN sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources \
  && apt-get update \
  && apt-get install -y --no-install-recommends dpkg-dev gcc make nasm pkg-config libmp3lame-dev zlib1g-dev
WORKDIR /src
RUN apt-get source ffmpeg \
  && cd ffmpeg-*/ \
  && ./configure --prefix=/opt/ffmpeg --disable-everything --disable-autodetect --disable-doc \
  --disable-debug --disable-ffplay --disable-network --disable-avdevice --disable-swscale \
  --disable-postproc --enable-ffmpeg --enable-ffprobe --enable-zlib --enable-libmp3lame \
  --enable-protocol=file,pipe \
  --enable-demuxer=mov,matroska,avi,mpegts,mpegps,flv,asf,ogg,mxf,mpegvideo,h264,hevc,m4v,wav,mp3,aac,flac \
  --enable-parser=aac,aac_latm,ac3,mpegaudio,opus,vorbis,flac,h264,hevc,mpeg4video,mpegvideo,av1,vp8,vp9 \
  --enable-decoder=aac,aac_latm,ac3,eac3,dca,mp1,mp2,mp3,mp3float,opus,vorbis,flac,alac,amrnb,amrwb,wmav1,wmav2,pcm_s8,pcm_u8,pcm_s16le,pcm_s16be,pcm_s24le,pcm_s24be,pcm_s32le,pcm_s32be,pcm_f32le,pcm_f32be,pcm_f64le,pcm_alaw,pcm_mulaw,pcm_bluray,pcm_dvd,adpcm_ima_wav,adpcm_ima_qt,adpcm_ms,adpcm_g726 \
  --enable-encoder=libmp3lame --enable-muxer=mp3 \
  --enable-filter=aresample,aformat,anull,null,format,abuffer,abuffersink,buffer,buffersink \
  && make -j"$(nproc)" \
  && make install \
  && mkdir -p /opt/ffmpeg/share/doc \
  && cp COPYING.LGPLv2.1 LICENSE.md /opt/ffmpeg/share/doc/ \
  && dpkg-parsechangelog -l debian/changelog -S Version > /opt/ffmpeg/share/doc/debian-source-version \
  && /opt/ffmpeg/bin/ffmpeg -hide_banner -encoders | grep -q libmp3lame

# 3. What runs: Node and the bundle, as uid 10001, from a read-only root. The heap's young
#    generation is capped at 2 MiB semi-spaces and glibc at two malloc arenas: 10–37 MiB less RSS
#    per service (docs/benchmarks.md §10); NODE_OPTIONS overrides it. No entrypoint script: Node
#    itself is PID 1. It loads OpenTelemetry's bootstrap first (`register.js`, from the bundle),
#    which traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/observability.md).
FROM node AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=2 MALLOC_ARENA_MAX=2
WORKDIR /app
ENTRYPOINT []

# media (ffprobe on every upload) and converter (ffmpeg), with LAME from Debian. /data/media is
# media's blob store mount point, owned by the service's user: a named volume starts as a copy of
# it, so uid 10001 can write there (Kubernetes mounts a PVC with fsGroup 10001).
FROM runtime AS service-ffmpeg
RUN apt-get update \
  && apt-get install -y --no-install-recommends libmp3lame0 \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \
  && mkdir -p /data/media && chown 10001:10001 /data/media
COPY --from=ffmpeg /opt/ffmpeg/bin/ffmpeg /opt/ffmpeg/bin/ffprobe /usr/local/bin/
COPY --from=ffmpeg /opt/ffmpeg/share/doc /usr/local/share/doc/ffmpeg
RUN ffprobe -version >/dev/null
COPY --from=build /out ./
USER 10001:10001
CMD ["node", "--import", "./register.js", "main.js"]

FROM runtime AS service
COPY --from=build /out ./
USER 10001:10001
CMD ["node", "--import", "./register.js", "main.js"]
