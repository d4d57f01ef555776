"""Task data and AQUA: datasets, row adapters, instances -> proxy QAs, task specs and the lm-eval task glue."""
