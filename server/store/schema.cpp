// The fleet server's schema. Times are milliseconds since the Unix epoch; MACs are the STA MAC
// as the device sends it (uppercase, colons); MD5 and SHA-256 are lowercase hex.
#include "server/store/migrations.h"

namespace otakit::server {

const std::vector<Migration>& fleet_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "fleet model", R"sql(
CREATE TABLE devices (
  mac TEXT PRIMARY KEY,
  ap_mac TEXT NOT NULL,
  chip_id BIGINT NOT NULL,
  chip_size BIGINT NOT NULL,
  free_space BIGINT NOT NULL,
  sketch_size BIGINT NOT NULL,
  running_md5 TEXT NOT NULL,
  running_version TEXT NOT NULL,
  sdk_version TEXT NOT NULL,
  address TEXT NOT NULL,
  group_name TEXT,
  tags TEXT NOT NULL DEFAULT '',
  max_security_version BIGINT NOT NULL DEFAULT 0,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  checks BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX devices_group ON devices(group_name);
CREATE TABLE firmware (
  id {id},
  sha256 TEXT NOT NULL UNIQUE,
  md5 TEXT NOT NULL,
  size BIGINT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  project TEXT NOT NULL,
  security_version BIGINT NOT NULL,
  signed INTEGER NOT NULL,
  flash_size BIGINT NOT NULL,
  kind TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL
);
CREATE INDEX firmware_md5 ON firmware(md5);
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  data {blob} NOT NULL
);
CREATE TABLE device_groups (
  name TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL
);
CREATE TABLE targets (
  scope TEXT PRIMARY KEY,
  firmware_id BIGINT NOT NULL REFERENCES firmware(id),
  set_at BIGINT NOT NULL
);
CREATE TABLE rollouts (
  id {id},
  name TEXT NOT NULL,
  firmware_id BIGINT NOT NULL REFERENCES firmware(id),
  state TEXT NOT NULL,
  current_stage INTEGER NOT NULL,
  rules TEXT NOT NULL,
  filter TEXT NOT NULL,
  rollback_of BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE rollout_targets (
  rollout_id BIGINT NOT NULL REFERENCES rollouts(id),
  mac TEXT NOT NULL,
  stage INTEGER NOT NULL,
  status TEXT NOT NULL,
  from_md5 TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (rollout_id, mac)
);
CREATE INDEX rollout_targets_mac ON rollout_targets(mac);
CREATE TABLE history (
  id {id},
  mac TEXT NOT NULL,
  at BIGINT NOT NULL,
  event TEXT NOT NULL,
  firmware_id BIGINT,
  rollout_id BIGINT,
  detail TEXT NOT NULL DEFAULT '',
  instance TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_mac ON history(mac, id);
CREATE TABLE tokens (
  id {id},
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE fleet_revision (
  id INTEGER PRIMARY KEY,
  revision BIGINT NOT NULL
);
INSERT INTO fleet_revision (id, revision) VALUES (1, 1)
)sql"},
      // A signed or gzip image runs as something else than its file: devices report the MD5 of
      // the image without its signature, inflated.
      {2, "firmware running_md5", R"sql(
ALTER TABLE firmware ADD COLUMN running_md5 TEXT NOT NULL DEFAULT '';
UPDATE firmware SET running_md5 = md5;
CREATE INDEX firmware_running_md5 ON firmware(running_md5)
)sql"},
  };
  return migrations;
}

}  // namespace otakit::server
