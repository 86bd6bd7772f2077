-- Macro: a message_mentions alias `mm` counts as the rep using the message: the rep said or wrote it ('rep'), or the source has no speakers ('unknown', e.g. a call without speaker labels; counted as used and reported apart).
mm.speaker_role IN ('rep', 'unknown')
