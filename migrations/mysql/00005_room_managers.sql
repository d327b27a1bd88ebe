-- +goose Up
CREATE TABLE room_managers (
    room_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    PRIMARY KEY (room_id, member_id),
    KEY room_managers_member (member_id),
    CONSTRAINT room_managers_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT room_managers_member FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE room_managers;
