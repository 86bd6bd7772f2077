-- One row per rep a manager named $manager may see at rep level: the reps they manage (name compared case-insensitively).
SELECT rep_id FROM reps WHERE lower(manager) = lower($manager) ORDER BY rep_id
