-- +goose Up
-- MySQL makes this index for the foreign key to members; SQLite needs it
-- made, or deleting a member scans every system to unlink its twins.
CREATE INDEX systems_twin ON systems (twin_member_id);

-- +goose Down
DROP INDEX systems_twin;
