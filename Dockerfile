# syntax=docker/dockerfile:1
#
# Multi-stage build of the safeguarding-api binary.
#   docker build -t safeguarding-api .
#   docker run --rm -e DATABASE_URL=postgres://... -e JWT_SECRET=... -p 8080:8080 safeguarding-api
# Configuration is by environment only (see src/config.rs); migrations are
# embedded in the binary and applied at start-up.

############################ build ############################
FROM rust:1-bookworm AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies first, against stub sources, so that a change to src/ does not
# rebuild every crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src

# The real sources. migrations/ (embed_migrations!) and demo/ (the seed
# fixtures of `safeguarding-api demo`, include_str!) are read at compile time.
COPY src ./src
COPY migrations ./migrations
COPY demo ./demo
# Make sure cargo sees the real sources as newer than the stub build.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && cp target/release/safeguarding-api /usr/local/bin/safeguarding-api

########################### runtime ###########################
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/data \
 && chown -R app:app /app

COPY --from=build /usr/local/bin/safeguarding-api /usr/local/bin/safeguarding-api

WORKDIR /app
USER app:app

ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080

ENTRYPOINT ["safeguarding-api"]
CMD ["serve"]
