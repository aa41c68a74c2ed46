#!/usr/bin/env bash
# Restore drill: dump a PostgreSQL database, restore the dump into a NEW, EMPTY database
# on the same server, and check that every table holds as many rows as in the source.
#
#   scripts/restore_drill.sh SOURCE_URL [TARGET_NAME]
#
#   SOURCE_URL   postgres://user[:password]@host:port/dbname (e.g. $DATABASE_URL)
#   TARGET_NAME  the database to create (default: <dbname>_restore_drill_<timestamp>);
#                the drill refuses to run if it exists already.
#
# Environment: DRILL_DUMP_FILE=path keeps the dump there (default: a temporary file,
# removed); DRILL_KEEP=1 keeps the restored database (default: dropped at the end).
#
# Exit status: 0 when every table's count matches, 1 on a mismatch, 2 on a usage or
# tool error. Counts are taken in one REPEATABLE READ transaction on the source right
# after the dump; on a busy database run it against a replica or in a quiet hour, since
# rows written between dump and count would show as a (harmless) mismatch.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac

SOURCE_URL="$1"
for tool in pg_dump pg_restore psql; do
    command -v "$tool" >/dev/null || { echo "restore_drill: $tool is not installed" >&2; exit 2; }
done

# Split the URL: everything before the last "/" is the server, after it the database.
base="${SOURCE_URL%%\?*}"
source_db="${base##*/}"
server="${base%/*}"
[ -n "$source_db" ] && [ "$server" != "$base" ] || { echo "restore_drill: no database name in SOURCE_URL" >&2; exit 2; }
target_db="${2:-${source_db}_restore_drill_$(date +%Y%m%d%H%M%S)}"
case "$target_db" in *[!A-Za-z0-9_]*) echo "restore_drill: target name may use letters, digits and _ only" >&2; exit 2 ;; esac
admin_url="$server/postgres"
target_url="$server/$target_db"

workdir="$(mktemp -d)"
created=0
cleanup() {
    if [ "$created" = 1 ] && [ "${DRILL_KEEP:-0}" != 1 ]; then
        psql "$admin_url" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$target_db\"" >/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# The counts: one line "table|rows" per table of the public schema, sorted.
count_tables() {
    local url="$1"
    local tables
    tables="$(psql "$url" -At -v ON_ERROR_STOP=1 -c \
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")"
    [ -n "$tables" ] || return 0
    {
        echo "BEGIN ISOLATION LEVEL REPEATABLE READ;"
        while IFS= read -r table; do
            echo "SELECT '$table' || '|' || count(*) FROM public.\"$table\";"
        done <<<"$tables"
        echo "COMMIT;"
    } | psql "$url" -At -q -v ON_ERROR_STOP=1 | grep '|' | sort
}

if psql "$admin_url" -At -c "SELECT 1 FROM pg_database WHERE datname = '$target_db'" | grep -q 1; then
    echo "restore_drill: database $target_db exists already; the drill restores into an empty new one" >&2
    exit 2
fi

dump="${DRILL_DUMP_FILE:-$workdir/drill.dump}"
echo "1/4 dumping $source_db ..."
pg_dump --format=custom --no-owner --no-privileges --file="$dump" "$SOURCE_URL"
echo "2/4 counting rows in $source_db ..."
count_tables "$SOURCE_URL" >"$workdir/source.txt"

echo "3/4 restoring into the new database $target_db ..."
psql "$admin_url" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$target_db\" TEMPLATE template0" >/dev/null
created=1
[ -z "$(psql "$target_url" -At -c "SELECT 1 FROM pg_tables WHERE schemaname = 'public' LIMIT 1")" ] \
    || { echo "restore_drill: the new database is not empty" >&2; exit 2; }
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target_url" "$dump"

echo "4/4 comparing row counts ..."
count_tables "$target_url" >"$workdir/target.txt"
tables=$(wc -l <"$workdir/source.txt")
rows=$(awk -F'|' '{s += $2} END {print s + 0}' "$workdir/source.txt")
if diff -u "$workdir/source.txt" "$workdir/target.txt" >"$workdir/diff.txt"; then
    echo "OK: $tables tables, $rows rows; every count matches in $target_db."
    exit 0
fi
echo "MISMATCH between $source_db (-) and the restored $target_db (+):" >&2
grep '^[-+][^-+]' "$workdir/diff.txt" >&2 || true
exit 1
