-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "auth";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "image";

-- CreateTable
CREATE TABLE "auth"."users" (
    "id" UUID NOT NULL,
    "username" VARCHAR(32) NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "image"."images" (
    "id" UUID NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "owner_id" UUID NOT NULL,
    "object_key" VARCHAR(512) NOT NULL,
    "content_type" VARCHAR(64) NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "etag" VARCHAR(128) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "images_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_username_key" ON "auth"."users"("username");

-- CreateIndex
CREATE UNIQUE INDEX "images_filename_key" ON "image"."images"("filename");

-- CreateIndex
CREATE INDEX "images_owner_id_created_at_idx" ON "image"."images"("owner_id", "created_at");

