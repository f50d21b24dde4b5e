-- AssetSync schema 1: the seed's three tables (created if absent), their added columns, PM schedules and indexes
-- Additive only: nothing is renamed or dropped, so IC3 and its dashboards keep working.

CREATE TABLE IF NOT EXISTS ic3_asset_master (
    asset_id      bigserial PRIMARY KEY,
    cmms_asset_id text,
    report_seq_no integer
);

ALTER TABLE ic3_asset_master
    ADD COLUMN IF NOT EXISTS asset_code         text,
    ADD COLUMN IF NOT EXISTS asset_name         text,
    ADD COLUMN IF NOT EXISTS category           text,
    ADD COLUMN IF NOT EXISTS make               text,
    ADD COLUMN IF NOT EXISTS model              text,
    ADD COLUMN IF NOT EXISTS department         text,
    ADD COLUMN IF NOT EXISTS location_site      text,
    ADD COLUMN IF NOT EXISTS location_building  text,
    ADD COLUMN IF NOT EXISTS location_floor     text,
    ADD COLUMN IF NOT EXISTS location_room      text,
    ADD COLUMN IF NOT EXISTS cmms_status        text,
    ADD COLUMN IF NOT EXISTS criticality        text,
    ADD COLUMN IF NOT EXISTS install_date       date,
    ADD COLUMN IF NOT EXISTS warranty_expiry    date,
    ADD COLUMN IF NOT EXISTS cmms_last_modified timestamptz,
    ADD COLUMN IF NOT EXISTS cmms_payload       jsonb,
    ADD COLUMN IF NOT EXISTS cmms_synced_at     timestamptz;

CREATE INDEX IF NOT EXISTS ic3_asset_master_cmms_asset_id_idx ON ic3_asset_master (cmms_asset_id);
CREATE INDEX IF NOT EXISTS ic3_asset_master_sync_order_idx ON ic3_asset_master (report_seq_no, asset_id) WHERE cmms_asset_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS ic3_asset_pm_schedule (
    cmms_asset_id  text NOT NULL,
    schedule_id    text NOT NULL,
    task           text,
    frequency_days integer,
    next_due       date,
    synced_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cmms_asset_id, schedule_id)
);

CREATE TABLE IF NOT EXISTS ic3_sync_log (
    serialnumber  text,
    sync_type     text,
    status        text,
    error_message text,
    synced_at     timestamptz DEFAULT now()
);

ALTER TABLE ic3_sync_log
    ADD COLUMN IF NOT EXISTS id          bigserial,
    ADD COLUMN IF NOT EXISTS run_id      bigint,
    ADD COLUMN IF NOT EXISTS attempts    integer,
    ADD COLUMN IF NOT EXISTS http_status integer,
    ADD COLUMN IF NOT EXISTS error_kind  text,
    ADD COLUMN IF NOT EXISTS duration_ms integer;

CREATE UNIQUE INDEX IF NOT EXISTS ic3_sync_log_id_key ON ic3_sync_log (id);
-- An asset's current state is its latest api_sync row: this index answers that without a sort.
CREATE INDEX IF NOT EXISTS ic3_sync_log_current_idx ON ic3_sync_log (serialnumber, id DESC) WHERE sync_type = 'api_sync';
-- One row per asset per run, even when a commit is replayed after a lost connection.
CREATE UNIQUE INDEX IF NOT EXISTS ic3_sync_log_run_serial_key ON ic3_sync_log (run_id, serialnumber) WHERE run_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS cmms_sync_log (
    sync_type     text,
    status        text,
    assets_synced integer,
    duration_ms   integer,
    synced_at     timestamptz DEFAULT now()
);

ALTER TABLE cmms_sync_log
    ADD COLUMN IF NOT EXISTS id            bigserial,
    ADD COLUMN IF NOT EXISTS mode          text,
    ADD COLUMN IF NOT EXISTS started_at    timestamptz,
    ADD COLUMN IF NOT EXISTS finished_at   timestamptz,
    ADD COLUMN IF NOT EXISTS total         integer,
    ADD COLUMN IF NOT EXISTS failed        integer,
    ADD COLUMN IF NOT EXISTS skipped       integer,
    ADD COLUMN IF NOT EXISTS batch_size    integer,
    ADD COLUMN IF NOT EXISTS offset_start  integer,
    ADD COLUMN IF NOT EXISTS host          text,
    ADD COLUMN IF NOT EXISTS os_user       text,
    ADD COLUMN IF NOT EXISTS error_message text;

CREATE UNIQUE INDEX IF NOT EXISTS cmms_sync_log_id_key ON cmms_sync_log (id);
