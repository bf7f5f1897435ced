"""The JQL subset the product evaluates locally: grammar, parser, syntax tree, validation, evaluation, dates."""
