-- Identified chat-widget visitors. A channel's identity secret lets the shop's own server sign
-- the id of the customer signed in on its page (HMAC-SHA256), so that the widget can say who is
-- chatting and no page can pass for another customer. Sealed with the server's key like the
-- other secrets; NULL for a channel made before identities, until its owner makes one.
ALTER TABLE widget_channels ADD COLUMN identity_secret TEXT;

-- The shop's id of a conversation's customer, when it was proved (a widget visitor whose page
-- signed it): what the customer lookup's {{customer}} is filled with.
ALTER TABLE conversations ADD COLUMN customer_id TEXT;
