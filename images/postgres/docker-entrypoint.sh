#!/bin/sh
# The part of the official postgres image's contract that helm/charts/postgres relies on:
#   POSTGRES_USER / POSTGRES_USER_FILE          superuser created on first start (default: postgres)
#   POSTGRES_PASSWORD / POSTGRES_PASSWORD_FILE  its password, required on first start
#   POSTGRES_DB                                 database created on first start (default: the user's name)
#   PGDATA                                      the cluster's directory (default /var/lib/postgresql/data)
#   PGPORT                                      the port (default 5432), read by postgres and pg_isready alike
# On an empty PGDATA: initdb with that superuser, listening on every address of the pod, SCRAM for every TCP
# connection and trust only on the container's own Unix socket; then the database. Then exec, so the server is PID 1
# and receives the stop signal itself.
set -eu

# The contents of the file $1 names if it names one, else $2.
file_or() {
  if [ -n "$1" ]; then cat "$1"; else printf '%s' "$2"; fi
}

case "${1:-}" in -*) set -- postgres "$@" ;; esac

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=$(file_or "${POSTGRES_USER_FILE:-}" "${POSTGRES_USER:-postgres}")
  password=$(file_or "${POSTGRES_PASSWORD_FILE:-}" "${POSTGRES_PASSWORD:-}")
  database=${POSTGRES_DB:-$user}
  if [ -z "$password" ]; then
    echo "postgres: PGDATA ($PGDATA) is empty and no password is set: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  password_file=$(mktemp)
  printf '%s\n' "$password" >"$password_file"
  initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 \
    -c "listen_addresses=*" -c unix_socket_directories=/var/run/postgresql >/dev/null
  rm -f "$password_file"
  # initdb's host lines cover loopback only; clients come from other pods.
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    printf 'CREATE DATABASE "%s";\n' "$(printf '%s' "$database" | sed 's/"/""/g')" |
      postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres: initialised $PGDATA (superuser $user, database $database)"
fi

exec "$@"
