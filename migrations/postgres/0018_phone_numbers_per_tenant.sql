-- A number is bound per tenant: a tenant binding a number another has gets the answer any
-- unbound number gets, so the API tells nobody which numbers other shops use. An incoming call
-- is the tenant's whose carrier account signed it (Twilio signs with the account's token).
ALTER TABLE phone_numbers DROP CONSTRAINT phone_numbers_pkey;
ALTER TABLE phone_numbers ADD PRIMARY KEY (tenant_id, number);
DROP INDEX phone_numbers_tenant_idx;
CREATE INDEX phone_numbers_number_idx ON phone_numbers (number, created_at);
