#!/bin/sh
# Creates the images bucket and the image service's own MinIO user, whose policy (image-service-policy.json) allows
# only what the service does on that bucket: objects in, out and deleted, multipart uploads, and HeadBucket (its
# readiness check, which S3 authorises as ListBucket). The root user is used here and nowhere else. Idempotent: it runs
# after every sync of the minio chart (a hook Job) and at every start of the local stack (its s3-access step).
#
#   MINIO_URL, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD   the server and its root user
#   BUCKET                                            the image service's bucket (the policy names it)
#   POLICY_FILE                                       image-service-policy.json
#   SERVICE_ACCESS_KEY, SERVICE_SECRET_KEY            the image service's credentials
#   MC_CONFIG_DIR                                     a writable folder for mc's settings
set -eu
policy=image-service
# (mc reports each success on stdout; the last line says what was done. Errors still reach stderr.)
mc() { command mc --quiet --no-color "$@" >/dev/null; }

# Retried for up to a minute: MinIO may still be starting, and a new pod's first connections can be refused until the
# network policy controller has admitted its address (kube-router does that shortly after the pod starts).
attempt=1
until mc alias set platform "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" 2>/dev/null; do
  [ "$attempt" -lt 30 ] || { echo "minio: $MINIO_URL did not answer in 60 s" >&2; exit 1; }
  attempt=$((attempt + 1))
  sleep 2
done
mc mb --ignore-existing "platform/$BUCKET"
mc admin policy create platform "$policy" "$POLICY_FILE"
# Adding an existing user sets its secret again: a rotated secret takes effect here.
mc admin user add platform "$SERVICE_ACCESS_KEY" "$SERVICE_SECRET_KEY"
# attach refuses a policy the user already has.
if ! command mc --quiet --no-color admin user info platform "$SERVICE_ACCESS_KEY" --json | grep -q "\"policyName\": *\"$policy\""; then
  mc admin policy attach platform "$policy" --user "$SERVICE_ACCESS_KEY"
fi
echo "minio: bucket $BUCKET and user $SERVICE_ACCESS_KEY with policy $policy"
