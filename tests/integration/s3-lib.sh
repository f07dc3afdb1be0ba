# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the S3 integration tests: installs s3rver 3.7.1 from the npm
# registry once (cached in $S3RVER_CACHE), starts it on 127.0.0.1 behind
# the SigV4 gate (s3rver-sigv4.js: s3rver itself does not check SigV4
# signatures), writes nodecap.conf [upload] and a credentials file, and
# reads the bucket back with curl's own SigV4 (list, GET).
# Source after assert.sh; set S3TMP (a temp dir) first.

S3RVER_VERSION=3.7.1
S3RVER_CACHE=${S3RVER_CACHE:-/var/cache/nodecap-test/s3rver}
S3_ACCESS=nodecapAKID
S3_SECRET=nodecap-test-secret-0123456789
S3_REGION=us-east-1
S3_BUCKET=nodecap-test
S3_PID=
S3_PORT=

s3_install() {
  # Debian packages the tests need besides install-deps' list.
  local need=()
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  command -v jq >/dev/null || need+=(jq)
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" \
      </dev/null >/dev/null 2>&1 || true
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node/npm not available"; return 1
  fi
  local pkg="$S3RVER_CACHE/node_modules/s3rver/package.json"
  if [ -f "$pkg" ] && grep -q "\"version\": \"$S3RVER_VERSION\"" "$pkg"; then
    return 0
  fi
  mkdir -p "$S3RVER_CACHE"
  # A lock: two tests installing at once would tread on each other.
  ( flock 9
    [ -f "$pkg" ] && grep -q "\"version\": \"$S3RVER_VERSION\"" "$pkg" && exit 0
    npm install --prefix "$S3RVER_CACHE" --no-audit --no-fund --loglevel=error \
      "s3rver@$S3RVER_VERSION" </dev/null >"$S3RVER_CACHE/install.log" 2>&1
  ) 9>"$S3RVER_CACHE/.lock" || { cat "$S3RVER_CACHE/install.log"; return 1; }
}

s3_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# s3_start [PORT]: start (or restart on the same port and data directory).
s3_start() {
  S3_PORT=${1:-${S3_PORT:-$(s3_free_port)}}
  mkdir -p "$S3TMP/s3data"
  : >"$S3TMP/s3.out"
  NODE_PATH="$S3RVER_CACHE/node_modules" node "$NCAP_SRC/tests/integration/s3rver-sigv4.js" \
    "$S3_PORT" "$S3TMP/s3data" "$S3_ACCESS" "$S3_SECRET" "$S3_REGION" "$S3_BUCKET" \
    "$S3TMP/s3requests.log" >"$S3TMP/s3.out" 2>"$S3TMP/s3.err" </dev/null &
  S3_PID=$!
  local t=100
  while [ $t -gt 0 ] && ! grep -q listening "$S3TMP/s3.out"; do
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.1; t=$((t - 1))
  done
  grep -q listening "$S3TMP/s3.out" || { echo "s3rver did not start:"; cat "$S3TMP/s3.err"; return 1; }
}

s3_stop() {
  if [ -n "$S3_PID" ]; then
    kill "$S3_PID" 2>/dev/null
    wait_gone "$S3_PID" 5 || kill -9 "$S3_PID" 2>/dev/null
    wait "$S3_PID" 2>/dev/null
    S3_PID=
  fi
}

# s3_conf DIR [SECRET] [extra [upload] lines...]: nodecap.conf + s3.conf in DIR.
s3_conf() {
  local dir=$1 secret=${2:-$S3_SECRET}; shift; [ $# -gt 0 ] && shift
  mkdir -p "$dir"
  cat >"$dir/s3.conf" <<EOF
[s3]
endpoint=http://127.0.0.1:$S3_PORT
region=$S3_REGION
access_key=$S3_ACCESS
secret_key=$secret
path_style=true
EOF
  chmod 600 "$dir/s3.conf"
  { echo "[upload]"; echo "credentials=$dir/s3.conf"; for l in "$@"; do echo "$l"; done; } >"$dir/nodecap.conf"
}

S3_EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3_curl() {  # s3_curl PATH [curl args...]: signed GET of http://127.0.0.1:PORT/PATH
  local path=$1; shift
  curl -sS --aws-sigv4 "aws:amz:$S3_REGION:s3" -u "$S3_ACCESS:$S3_SECRET" \
    -H "x-amz-content-sha256: $S3_EMPTY_SHA" "$@" "http://127.0.0.1:$S3_PORT/$path"
}
s3_list() {  # s3_list PREFIX: keys, one a line, sorted
  s3_curl "$S3_BUCKET?list-type=2&prefix=${1//\//%2F}" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g' | sort
}
s3_get() {  # s3_get KEY FILE
  s3_curl "$S3_BUCKET/$1" -o "$2" -f
}
# Count requests of the gate's log matching a regex (method and URL).
s3_requests() {
  [ -f "$S3TMP/s3requests.log" ] || { echo 0; return; }
  grep -cE "$1" "$S3TMP/s3requests.log" || true
}
