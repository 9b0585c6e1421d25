#!/usr/bin/env bash
# Builds sql-jobber and runs it on the embedded default: in-process memory broker and state,
# SQLite source and results databases, the demo tasks in sql/demo over a generated demo data set.
# The API listens on http://127.0.0.1:6060 (see README.md for curl examples). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target sql-jobber jobber_plugin_memory jobber_plugin_sqlite

demo="$root/var/demo"
mkdir -p "$demo"
if [[ ! -s "$demo/demo.db" ]]; then
  echo "generating the demo data set in $demo/demo.db"
  sqlite3 "$demo/demo.db" <"$root/sql/demo-data/seed.sql"
fi

cd "$demo"  # the default config names demo.db and demo-results.db relative to here
exec "$build/bin/sql-jobber" --config "$root/config/sql-jobber.yaml" --sql-directory "$root/sql/demo" \
  --queue sqljob_queue --queue reports "$@"
