-- Titles for flows stored before flows had them (0024), which showed their key until saved again.
-- A draft that carries a title gives it to the column; the example flows the demo tenant was
-- given (published with the example note) get the titles their files in flows/ have now, in the
-- draft too, so that the next save keeps it.
UPDATE flows SET title = trim(json_extract(draft, '$.title'))
WHERE title IS NULL AND json_valid(draft)
  AND json_type(draft, '$.title') = 'text'
  AND trim(json_extract(draft, '$.title')) <> '';

CREATE TEMPORARY TABLE example_titles (name TEXT PRIMARY KEY, title TEXT NOT NULL);
INSERT INTO example_titles (name, title) VALUES
    ('order-status', '订单查询'),
    ('order-status-en', 'Order status'),
    ('returns-refunds', '退货退款'),
    ('birthday-care', '生日关怀外呼'),
    ('satisfaction-survey', '满意度回访'),
    ('shop-faq', '商城常见问题'),
    ('complaints', '简单投诉'),
    ('complaints-en', 'Complaints');

UPDATE flows
SET title = (SELECT e.title FROM example_titles e WHERE e.name = flows.name),
    draft = json_set(draft, '$.title', (SELECT e.title FROM example_titles e WHERE e.name = flows.name))
WHERE title IS NULL AND json_valid(draft)
  AND name IN (SELECT name FROM example_titles)
  AND EXISTS (SELECT 1 FROM flow_versions v
              WHERE v.tenant_id = flows.tenant_id AND v.flow_id = flows.id
                AND v.note = '示例流程 / example flow');

DROP TABLE example_titles;
