-- compatibility: additive
-- The W3C `traceparent` of the span that submitted the execution, when tracing was on
-- (docs/tracing.md): every later segment, on any node and after any await or retry, continues
-- that trace. An id and flags only, never a payload. Rows from before it, or submitted with
-- tracing off, have none and start a trace of their own per segment.
ALTER TABLE executions ADD COLUMN traceparent TEXT;
