-- compatibility: breaking
-- Attempt numbers never repeat across re-drives (src/domain/step-attempt.ts). A re-drive gives
-- the step a fresh retry budget (`attempt` back to 0) and records here how many tries of that
-- step came before it, so the step's try number (`attempt_offset + attempt`) keeps counting up.
-- `attempt_offset_step` is the step the offset belongs to: once the execution moves on, the
-- offset no longer applies, and no other command has to write these columns.
-- Rows from before it start at 0: a re-drive made before this migration is not counted.
ALTER TABLE executions ADD COLUMN attempt_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN attempt_offset_step INTEGER NOT NULL DEFAULT 0;
