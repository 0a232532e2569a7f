"""tensorlet.data: input pipelines."""
