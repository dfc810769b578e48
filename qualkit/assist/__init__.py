"""Machine help for coders: embeddings, code suggestions and their feedback, evaluation, topics."""
