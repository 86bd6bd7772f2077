-- Macro: an activities alias `a` is a conversation with a prospect (a call or a meeting): what the usage rate per call counts.
a.activity_type IN ('call', 'meeting')
