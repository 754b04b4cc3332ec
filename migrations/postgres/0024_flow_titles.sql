-- A flow's display name (its document's `title`, e.g. 订单查询), kept beside the draft so that
-- the flow list shows and searches it without reading every draft. `name` stays the flow's
-- stable key, which `subflow` nodes and call records use. NULL: the flow has no title.
ALTER TABLE flows ADD COLUMN title TEXT;
