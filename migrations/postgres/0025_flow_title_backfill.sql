-- Titles for flows stored before flows had them (0024), which showed their key until saved again.
-- A draft that carries a title gives it to the column; the example flows the demo tenant was
-- given (published with the example note) get the titles their files in flows/ have now, in the
-- draft too, so that the next save keeps it.
UPDATE flows SET title = btrim(draft::jsonb ->> 'title')
WHERE title IS NULL
  AND jsonb_typeof(draft::jsonb -> 'title') = 'string'
  AND btrim(draft::jsonb ->> 'title') <> '';

UPDATE flows
SET title = e.title,
    draft = (draft::jsonb || jsonb_build_object('title', e.title))::text
FROM (VALUES
    ('order-status', '订单查询'),
    ('order-status-en', 'Order status'),
    ('returns-refunds', '退货退款'),
    ('birthday-care', '生日关怀外呼'),
    ('satisfaction-survey', '满意度回访'),
    ('shop-faq', '商城常见问题'),
    ('complaints', '简单投诉'),
    ('complaints-en', 'Complaints')) AS e (name, title)
WHERE flows.title IS NULL AND flows.name = e.name
  AND EXISTS (SELECT 1 FROM flow_versions v
              WHERE v.tenant_id = flows.tenant_id AND v.flow_id = flows.id
                AND v.note = '示例流程 / example flow');
