-- The images gallery: every image sent, newest message first, paged with a
-- keyset cursor. Additive only; 0001 and 0002 are never edited.
--
-- The order is the time of the message an image belongs to, which lives in
-- `messages`. Ordering a join by another table's column means sorting every
-- attachment for each page; copying the time onto the attachment lets one
-- index give the order, so any page of 100,000 images is a short index walk.
-- Triggers keep the copy right however an attachment is inserted (sending,
-- editing, importing) and if a message's time ever changes.

ALTER TABLE attachments ADD COLUMN message_created_at INTEGER;

UPDATE attachments
SET message_created_at = (SELECT m.created_at FROM messages m WHERE m.id = attachments.message_id);

CREATE TRIGGER attachments_copy_message_time AFTER INSERT ON attachments BEGIN
    UPDATE attachments
    SET message_created_at = (SELECT m.created_at FROM messages m WHERE m.id = new.message_id)
    WHERE id = new.id;
END;

CREATE TRIGGER messages_time_to_attachments AFTER UPDATE OF created_at ON messages BEGIN
    UPDATE attachments SET message_created_at = new.created_at WHERE message_id = new.id;
END;

-- Newest message first (ties by message id, which is time-ordered), then the
-- images of one message in the order they were attached.
CREATE INDEX attachments_gallery
    ON attachments (message_created_at DESC, message_id DESC, position);
