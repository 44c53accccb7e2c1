# Sourced by the benchmarks: a fresh database for one run, on SQLite (in `$work`) or, when DB
# names a PostgreSQL server (DB=postgres://postgres@127.0.0.1:5432/test), a database created
# on that server for the run. `bench_db_create [name]` sets `db` to its URL (the name tells
# two databases of one run apart), `bench_db_query SQL` prints one value, `bench_db_drop`
# removes what was created.
bench_db_server=${DB:-}
bench_db_made=()

bench_db_create() {
  local name=${1:-bench}
  if [[ $bench_db_server == postgres://* ]]; then
    local database="lodestar_${name}_$$"
    psql "$bench_db_server" -qAtc "CREATE DATABASE $database" >/dev/null
    bench_db_made+=("$database")
    db="${bench_db_server%/*}/$database"
  else
    db="sqlite://$work/$name.db"
  fi
}

bench_db_query() {
  if [[ $db == postgres://* ]]; then
    psql "$db" -qAtc "$1"
  else
    python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "${db#sqlite://}" "$1"
  fi
}

bench_db_drop() {
  local database
  for database in "${bench_db_made[@]}"; do
    psql "$bench_db_server" -qAtc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || true
  done
}
