-- When a dial's call was last looked up with the carrier (its status callback may have been
-- lost): the next look is due a while after, and one server takes it.
ALTER TABLE campaign_attempts ADD COLUMN checked_at INTEGER;
