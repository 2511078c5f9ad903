-- compatibility: breaking
-- Itemised executions (docs/items.md): an `expand` step makes one child execution per item.
-- A child names its parent and its position, and where its item continuation stops (the
-- aggregate step's index, exclusive; null runs to the end of the pipeline). A parent counts its
-- children: how many the expansion made, how many are not terminal yet (the aggregate is
-- released when that reaches 0) and how many ended in DLQ, FAILED or CANCELLED.
ALTER TABLE executions ADD COLUMN parent_execution_id TEXT;
ALTER TABLE executions ADD COLUMN item_index INTEGER;
ALTER TABLE executions ADD COLUMN end_step_index INTEGER;
ALTER TABLE executions ADD COLUMN items_total INTEGER;
ALTER TABLE executions ADD COLUMN items_open INTEGER;
ALTER TABLE executions ADD COLUMN items_failed INTEGER;
-- The aggregate's input and the children listing read a parent's children in item order.
CREATE INDEX executions_by_parent ON executions (parent_execution_id, item_index) WHERE parent_execution_id IS NOT NULL;
