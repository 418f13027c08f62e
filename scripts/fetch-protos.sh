#!/usr/bin/env bash
# Fetches the third-party .proto files Furrow imports into third_party/ (git-ignored).
# Sources are package registries only, pinned and checksummed:
#   - google/api, google/type: npm package google-proto-files (6.x declares node >= 22, but
#     the files we take are plain .proto; `npm pack` does not run it)
#   - buf/validate: the Go module github.com/bufbuild/protovalidate (the version that
#     buf.build/go/protovalidate compiled in)
#   - protoc-gen-openapiv2/options: the grpc-gateway Go module already in go.mod
set -euo pipefail
cd "$(dirname "$0")/.."

GOOGLE_PROTO_FILES_VERSION=6.0.1
GOOGLE_PROTO_FILES_SHA256=711763f77ea15bbc7436aac53db013b421d2c7b86ae27f4013723970ce54a96e
PROTOVALIDATE_VERSION=v1.2.2
GOOGLE_FILES=(
  google/api/annotations.proto google/api/http.proto google/api/field_behavior.proto
  google/api/resource.proto google/api/client.proto google/api/launch_stage.proto
  google/type/date.proto google/rpc/status.proto
)

out=third_party
stamp="$out/.stamp-$GOOGLE_PROTO_FILES_VERSION-$PROTOVALIDATE_VERSION-${#GOOGLE_FILES[@]}"
if [ -f "$stamp" ]; then exit 0; fi
rm -rf "$out" .build/npm
mkdir -p "$out/googleapis" "$out/protovalidate/buf/validate" "$out/openapiv2" .build/npm

# googleapis from npm
(cd .build/npm && npm pack --silent "google-proto-files@$GOOGLE_PROTO_FILES_VERSION" >/dev/null)
tgz=".build/npm/google-proto-files-$GOOGLE_PROTO_FILES_VERSION.tgz"
echo "$GOOGLE_PROTO_FILES_SHA256  $tgz" | sha256sum --check --quiet
tar -xzf "$tgz" -C "$out/googleapis" --strip-components=1 "${GOOGLE_FILES[@]/#/package/}"

# buf/validate from the Go module proxy
pvdir=$(go mod download -json "github.com/bufbuild/protovalidate@$PROTOVALIDATE_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
install -m 0644 "$pvdir/proto/protovalidate/buf/validate/validate.proto" "$out/protovalidate/buf/validate/"

# openapiv2 options from grpc-gateway (version from go.mod)
# (downloaded first: `go list -m` prints no directory for a module not in the cache yet)
go mod download github.com/grpc-ecosystem/grpc-gateway/v2
gwdir=$(go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway/v2)
mkdir -p "$out/openapiv2/protoc-gen-openapiv2/options"
install -m 0644 "$gwdir"/protoc-gen-openapiv2/options/*.proto "$out/openapiv2/protoc-gen-openapiv2/options/"

touch "$stamp"
echo "fetched protos into $out/"
