-- Per-service database roles: each service logs in as its own role and reaches only its own schema.
--
--   auth_service   USAGE on schema auth,  SELECT, INSERT         on its tables
--   image_service  USAGE on schema image, SELECT, INSERT, DELETE on its tables
--
-- Neither can see the other's schema, create or alter anything (no CREATE on any schema, no temporary
-- tables), or read Prisma's migration table. The role that runs this file is the one that runs the
-- migrations and owns the schemas; ALTER DEFAULT PRIVILEGES makes the tables its future migrations
-- create carry the same grants, so a new table needs no change here (a new kind of access does: add
-- UPDATE, say, to the service that starts updating rows, in a reviewed change to this file).
--
-- Idempotent, and convergent: every run revokes and re-grants, so the database ends up with exactly
-- what this file says. Applied after `prisma migrate deploy` by packages/database/src/roles.ts (the
-- local stack on every start, the migration Job on every deploy), which sets the role passwords as the
-- session settings platform.auth_service_password and platform.image_service_password: SCRAM-SHA-256
-- verifiers computed by the client, so no plain password reaches the server or its logs. The passwords
-- themselves live in the local state folder or in the deployment's secrets, never in git.
-- Needs a role with CREATEROLE (or a superuser) that owns the schemas.

BEGIN;

-- One run at a time (two deploys racing would both try CREATE ROLE).
SELECT pg_advisory_xact_lock(hashtext('platform: prisma/roles.sql'));

DO $roles$
DECLARE
  service_role text;
  password text;
BEGIN
  FOREACH service_role IN ARRAY ARRAY['auth_service', 'image_service'] LOOP
    password := current_setting('platform.' || service_role || '_password', true);
    IF password IS NULL OR password = '' THEN
      RAISE EXCEPTION 'prisma/roles.sql: set platform.%_password (the role''s password) before running this file', service_role;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = service_role) THEN
      EXECUTE format('CREATE ROLE %I', service_role);
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L',
                   service_role, password);
    -- Connect to this database only (privileges on the database object, not on the cluster).
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), service_role);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), service_role);
  END LOOP;
  -- Nobody but the roles granted above connects or creates temporary tables here (PostgreSQL grants
  -- CONNECT and TEMPORARY to PUBLIC by default).
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END
$roles$;

-- The public schema holds Prisma's _prisma_migrations: no service may create anything there (PostgreSQL 15
-- and later already deny CREATE to PUBLIC; older servers do not).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM auth_service, image_service;

-- Start from nothing on both service schemas, then grant each service its own.
REVOKE ALL ON SCHEMA auth, image FROM PUBLIC;
REVOKE ALL ON SCHEMA auth, image FROM auth_service, image_service;
REVOKE ALL ON ALL TABLES IN SCHEMA auth, image FROM auth_service, image_service;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA auth, image FROM auth_service, image_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA auth, image REVOKE ALL ON TABLES FROM auth_service, image_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA auth, image REVOKE ALL ON SEQUENCES FROM auth_service, image_service;

-- auth_service: users are created and looked up, never changed or deleted.
GRANT USAGE ON SCHEMA auth TO auth_service;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA auth TO auth_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA auth TO auth_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA auth GRANT SELECT, INSERT ON TABLES TO auth_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA auth GRANT USAGE, SELECT ON SEQUENCES TO auth_service;

-- image_service: image rows are created, listed and deleted.
GRANT USAGE ON SCHEMA image TO image_service;
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA image TO image_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA image TO image_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA image GRANT SELECT, INSERT, DELETE ON TABLES TO image_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA image GRANT USAGE, SELECT ON SEQUENCES TO image_service;

COMMIT;
