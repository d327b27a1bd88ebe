# Company Admin: the bot, the worker and companyctl in one minimal image.
# Build: docker build -t companyadmin .
# Run:   docker run companyadmin bot | worker | companyctl migrate

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binaries: the SQLite driver is pure Go, so no cgo and no libc.
# Time zone data is compiled in (time/tzdata, imported by each command).
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/bot ./cmd/worker ./cmd/companyctl

# Distroless static: CA certificates and /etc/passwd, no shell; runs as
# the unprivileged user nonroot (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /out/worker /out/companyctl /usr/local/bin/
USER nonroot:nonroot
WORKDIR /home/nonroot
ENV PORT=8080 METRICS_PORT=9090 LOG_FORMAT=json
EXPOSE 8080 9090
CMD ["bot"]
