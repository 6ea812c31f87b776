# Start Debian's PostgreSQL on 127.0.0.1 for the tests; sourced by .ci/run.
PGPORT="${PGPORT:-55432}"
start_postgres() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  local data=/tmp/wincloud-ci-pg
  if ! su postgres -c "$bindir/pg_ctl -D $data status" >/dev/null 2>&1; then
    rm -rf "$data"
    install -d -o postgres -g postgres "$data"
    su postgres -c "$bindir/initdb -D $data -A trust -U postgres" >/dev/null
    su postgres -c "$bindir/pg_ctl -D $data -l $data/log -w -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1' start" >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tc "SELECT 1 FROM pg_roles WHERE rolname='wincloud'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE ROLE wincloud LOGIN PASSWORD 'wincloud' CREATEDB" >/dev/null
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='wincloud_test'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE wincloud_test OWNER wincloud" >/dev/null
}
