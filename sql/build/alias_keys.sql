-- The alias keys a fact row resolves through (used to find rows whose resolution changed).
CREATE OR REPLACE TEMP MACRO row_alias_keys(email, name, crm, message) AS [
    'email:' || email_key(email), 'name:' || name_key(name), 'crm:' || crm, 'msg:' || text_key(message)];
