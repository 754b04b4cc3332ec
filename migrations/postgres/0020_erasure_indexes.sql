-- Retention and data-subject erasure delete conversations with every row that names them.
-- Without these, each batch would read the tenant's whole handoff, widget-link and unheard
-- tables (only open handoffs were indexed by conversation), and the retention job would read
-- every conversation of the tenant to find the old ones. Kept equal in ../sqlite and
-- ../postgres.
CREATE INDEX conversations_tenant_ended_idx ON conversations (tenant_id, ended_at);
CREATE INDEX conversations_customer_idx ON conversations (tenant_id, customer_id);
CREATE INDEX conversations_callee_idx ON conversations (tenant_id, to_number);
CREATE INDEX handoffs_call_idx ON handoffs (tenant_id, call_id);
CREATE INDEX widget_conversations_call_idx ON widget_conversations (tenant_id, call_id);
CREATE INDEX analytics_unheard_last_call_idx ON analytics_unheard (tenant_id, last_call);
