#!/usr/bin/env bash
# Nightly backup (docs/deploy.md, section 9): a pg_dump of DATABASE_URL, then a sync of the
# files (the S3 bucket, or the local media folder) to the backup remote.
#
# Environment: DATABASE_URL (required); BACKUP_DIR (default /var/backups/asn-lms);
# BACKUP_REMOTE, an rclone remote path such as backup:asn-lms-backups (unset: local dump
# only); MEDIA_SOURCE, what to sync as files, an rclone path such as s3:asn-lms-media or
# /srv/asn-lms/media (unset: no file sync); BACKUP_KEEP_DAYS (default 14) local dumps.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is not set}"
dir="${BACKUP_DIR:-/var/backups/asn-lms}"
stamp="$(date +%Y%m%d-%H%M)"
mkdir -p "$dir"
dump="$dir/asn_lms-$stamp.dump"

pg_dump --format=custom --no-owner --no-privileges --file="$dump.partial" "$DATABASE_URL"
mv "$dump.partial" "$dump"   # a dump that exists is complete
echo "database: $dump ($(du -h "$dump" | cut -f1))"

if [ -n "${BACKUP_REMOTE:-}" ]; then
    rclone copy "$dump" "$BACKUP_REMOTE/db/"
    # Files after the dump: a file newer than the dump is harmless, a missing one is not.
    if [ -n "${MEDIA_SOURCE:-}" ]; then
        rclone sync "$MEDIA_SOURCE" "$BACKUP_REMOTE/media" --checksum --transfers 16 \
            --exclude "exports/**"
    fi
fi
find "$dir" -name 'asn_lms-*.dump' -mtime +"${BACKUP_KEEP_DAYS:-14}" -delete
