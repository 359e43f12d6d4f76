#!/usr/bin/env bash
# Installs whatever is missing for the local servers and the services into the cache ($KHO_CACHE),
# outside the working tree. A second run finds everything in place and does nothing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$KHO_CACHE/bin" "$KHO_LOGS"

need_cmd() { command -v "$1" >/dev/null 2>&1 || fail "provision: '$1' is required but not installed ($2)"; }
need_cmd java "OpenJDK 17 or newer"
need_cmd mvn "Apache Maven"
need_cmd go "Go 1.24 or newer"
need_cmd npm "Node.js 20.19 or newer with npm"

# Debian packages: the fonts of the signature stamps, SoftHSM2 for the PKCS#11 tests, poppler to render PDFs,
# PostgreSQL for FerretDB's data.
apt_missing=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || apt_missing+=(fonts-dejavu-core)
command -v softhsm2-util >/dev/null 2>&1 || apt_missing+=(softhsm2)
command -v pdftoppm >/dev/null 2>&1 || apt_missing+=(poppler-utils)
[ -n "$(postgres_bin)" ] || apt_missing+=(postgresql)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "provision: installing Debian packages ${apt_missing[*]}"
  log=$KHO_LOGS/apt.log
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  { $sudo_cmd apt-get update && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${apt_missing[@]}"; } \
    >"$log" 2>&1 || fail "provision: apt-get install ${apt_missing[*]}" "$log"
fi

# uv, the Python workspace manager.
if ! command -v uv >/dev/null 2>&1; then
  say "provision: installing uv"
  log=$KHO_LOGS/uv-install.log
  python3 -m pip install --user 'uv>=0.5' >"$log" 2>&1 || fail "provision: pip install uv" "$log"
fi

# Apache Kafka: the broker jars and their dependencies from Maven Central.
if [ ! -f "$KAFKA_HOME/.complete" ]; then
  say "provision: fetching Apache Kafka $KAFKA_VERSION jars"
  log=$KHO_LOGS/kafka-fetch.log
  rm -rf "$KAFKA_HOME"
  KAFKA_VERSION=$KAFKA_VERSION mvn -B -q -f "$DEPLOY_LOCAL_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_HOME/libs" -DincludeScope=runtime >"$log" 2>&1 \
    || fail "provision: Kafka jars from Maven Central" "$log"
  touch "$KAFKA_HOME/.complete"
fi

# The development identity provider: oidc-provider from the npm registry, installed beside its files.
idp_src=$DEPLOY_LOCAL_DIR/idp
if ! cmp -s "$idp_src/package-lock.json" "$IDP_HOME/package-lock.json" || [ ! -d "$IDP_HOME/node_modules" ]; then
  say "provision: installing the development identity provider (npm)"
  log=$KHO_LOGS/idp-install.log
  mkdir -p "$IDP_HOME"
  cp "$idp_src/package.json" "$idp_src/package-lock.json" "$IDP_HOME/"
  (cd "$IDP_HOME" && npm ci --no-audit --no-fund) >"$log" 2>&1 || fail "provision: npm ci of the identity provider" "$log"
fi

go_build() { # name, module, version, package inside the module, target binary
  local name=$1 module=$2 version=$3 package=$4 target=$5
  [ -x "$target" ] && return 0
  say "provision: building $name ($module@$version), the first time takes several minutes"
  local log=$KHO_LOGS/$name-build.log src work
  # Built inside a copy of the module itself, so that the module's own replace directives apply.
  src=$(go mod download -json "$module@$version" 2>"$log" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] || fail "provision: go mod download $module@$version" "$log"
  work=$(mktemp -d)
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  # FerretDB embeds its version from a file its release tooling writes; write it the same way.
  if [ "$name" = ferretdb ]; then
    echo "$version" >"$work/build/version/version.txt"
    local patch
    for patch in "$DEPLOY_LOCAL_DIR"/ferretdb/*.patch; do
      (cd "$work" && git apply -p1 "$patch") >>"$log" 2>&1 || { rm -rf "$work"; fail "provision: applying $patch" "$log"; }
    done
  fi
  (cd "$work" && GOFLAGS=-buildvcs=false go build -trimpath -o "$target.tmp" "./$package") >>"$log" 2>&1 \
    || { rm -rf "$work"; fail "provision: go build $module/$package" "$log"; }
  rm -rf "$work"
  mv "$target.tmp" "$target"
}
go_build ferretdb github.com/FerretDB/FerretDB "$FERRETDB_VERSION" cmd/ferretdb "$FERRETDB_BIN" &
ferret_pid=$!
go_build seaweedfs github.com/seaweedfs/seaweedfs "$SEAWEEDFS_VERSION" weed "$WEED_BIN" &
weed_pid=$!
wait $ferret_pid || exit 1
wait $weed_pid || exit 1
