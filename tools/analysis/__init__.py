"""Analysis tools: prompt attribution of a DLM run."""
